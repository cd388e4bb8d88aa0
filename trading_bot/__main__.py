from trading_bot.cli import main

main()
