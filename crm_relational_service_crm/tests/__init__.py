from . import test_helpdesk_crm
