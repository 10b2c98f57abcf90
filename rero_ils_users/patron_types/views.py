from ..rest import crud_blueprint
from .service import patron_types

blueprint = crud_blueprint("patron_types", "patron_types", patron_types)
