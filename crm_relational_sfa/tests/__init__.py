from . import test_sales_target
