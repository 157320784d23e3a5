from . import test_sales_target
from . import test_stock_lookup
from . import test_opportunity
from . import test_call_sheet
from . import test_forecast_engine
from . import test_forecast
from . import test_tours
from . import test_forecast_movement
