import sys

from digitpad.cli.main import main

sys.exit(main())
