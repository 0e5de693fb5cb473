from chihwatch.cli import main

main()
