from systemprompt_analytics.cli.app import main

main()
