module whyblocked

go 1.19

require flowlog v0.0.0

replace flowlog => ../../bindings/go
