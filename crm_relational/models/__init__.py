from . import crm_relational_profile
from . import crm_relational_segment
from . import crm_relational_stage_history
from . import res_company
from . import res_partner
from . import res_config_settings
from . import crm_relational_relationship_type
from . import crm_relational_run
