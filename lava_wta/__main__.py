from lava_wta.cli import main

raise SystemExit(main())
