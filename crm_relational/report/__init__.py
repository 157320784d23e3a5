from . import crm_relational_timeline
