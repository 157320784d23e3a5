from . import crm_relational_type_override
