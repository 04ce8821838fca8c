// Command go2docker-dep prints one fixed greeting line, so that a test that
// builds it into an image can match the line in the container output. It is
// examples/go2docker as a dep project, built in GOPATH mode from vendor/.
package main

import (
	"fmt"

	"github.com/google/uuid"
)

func main() {
	// A name-based (SHA-1) UUID is the same on every run, so the output line is
	// fixed and a test can compare it exactly.
	id := uuid.NewSHA1(uuid.NameSpaceURL, []byte("example.com/go2docker"))
	fmt.Printf("go2docker-dep: hello from %s\n", id)
}
