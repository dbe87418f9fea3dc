from allegro_async.cli import main

main()
