from . import crm_relational_timeline
from . import crm_relational_product_ticket_report
