from . import crm_relational_stock_lookup_wizard
from . import crm_relational_stock_lookup_line
