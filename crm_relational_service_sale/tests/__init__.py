from . import test_helpdesk_sale_order
