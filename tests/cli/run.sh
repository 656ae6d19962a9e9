echo "cli tests TODO"; exit 0
