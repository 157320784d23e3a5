from . import crm_relational_type_override
from . import crm_relational_retention
