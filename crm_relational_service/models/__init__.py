from . import crm_relational_skill
from . import res_company
from . import res_config_settings
from . import crm_relational_profile
from . import helpdesk_ticket
