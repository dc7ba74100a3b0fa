module flowlog

go 1.19
