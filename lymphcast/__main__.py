from lymphcast.cli import main

main()
