from ..rest import crud_blueprint
from .service import organisations

blueprint = crud_blueprint("organisations", "organisations", organisations)
