from . import crm_relational_sales_target
from . import res_company
from . import res_config_settings
from . import crm_relational_stock_lookup
from . import crm_lead
from . import crm_relational_lead_line
from . import res_partner
