// Command goapi is a small inventory service: a JSON API over HTTP with
// Prometheus metrics and structured logs, and a gRPC health endpoint. Run
// without arguments, it prints its version line and exits, so that a test can
// run the image and read one line. "goapi serve" starts the servers.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"example.com/goapi/internal/buildinfo"
)

func main() {
	if err := newRootCommand().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "goapi:", err)
		os.Exit(1)
	}
}

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "goapi",
		Short:         "Inventory API with metrics, structured logs and gRPC health checks",
		Version:       buildinfo.Version,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintln(cmd.OutOrStdout(), buildinfo.Line())
			return err
		},
	}
	root.SetVersionTemplate(buildinfo.Line() + "\n")
	root.AddCommand(newServeCommand(), newCheckConfigCommand())
	return root
}
