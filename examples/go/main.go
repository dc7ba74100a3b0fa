// Why can't the Lambda reach its database? The bundled scenario, from Go.
//
//	PKG_CONFIG_PATH=/usr/local/lib/x86_64-linux-gnu/pkgconfig \
//	    go run . 10.0.1.25 10.0.2.10 3306 ../data/lambda-rds-nacl-inbound.log
package main

import (
	"fmt"
	"os"
	"strconv"

	"flowlog"
)

func main() {
	if len(os.Args) < 5 {
		fmt.Fprintln(os.Stderr, "usage: whyblocked CLIENT SERVER PORT PATH...")
		os.Exit(2)
	}
	port, err := strconv.ParseUint(os.Args[3], 10, 16)
	if err != nil {
		fmt.Fprintln(os.Stderr, "whyblocked: PORT is a number from 0 to 65535")
		os.Exit(2)
	}
	d, err := flowlog.Diagnose(os.Args[1], os.Args[2], uint(port), flowlog.TCP, os.Args[4:]...)
	if err != nil {
		fmt.Fprintln(os.Stderr, "whyblocked:", err)
		os.Exit(2)
	}
	defer d.Close()
	if !d.Complete() {
		fmt.Println("evidence incomplete: some inputs were not read whole")
	}
	fmt.Printf("%s (recorded at: %s)\n", d.Verdict(), d.Side())
	for _, m := range d.NearMisses() {
		fmt.Printf("  near miss: %s %v -> %v:%d (%d records)\n", m.Kind, m.Client, m.Server, m.Port, m.Records)
	}
	fmt.Println(d.Explanation())
	if !d.Complete() {
		os.Exit(3)
	}
}
