module raftkv/paperbench

go 1.24
