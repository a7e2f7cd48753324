"""boards.yaml: load, validate, generate board headers, check budgets.

config.load_boards / get_board (Board dataclasses), schema.validate_boards (JSON Schema + rules),
header.board_header / write_board_header (gn_board_<name>.h), budget.check_budget (flash / RAM / arena). CLI: `gaitnode boards`.
"""
