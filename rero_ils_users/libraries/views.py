from ..rest import crud_blueprint
from .service import libraries

blueprint = crud_blueprint("libraries", "libraries", libraries)
