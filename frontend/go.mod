module esimscan/frontend

go 1.26
