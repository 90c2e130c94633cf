package ociimage

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// The Dockerfile builds the image Build makes: the same user, port,
// volume, environment, healthcheck and command.
func TestDockerfileMatchesImage(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	df := string(b)
	c := Config("dev")
	want := []string{
		"FROM scratch",
		"USER " + c.User,
		"EXPOSE " + Port,
		"VOLUME " + DataDir,
		"WORKDIR " + c.WorkingDir,
		`ENTRYPOINT ["` + BinaryPath + `"]`,
		`CMD ["serve"]`,
		`CMD ["/tokend", "healthcheck"]`,
		"--chown=" + fmt.Sprintf("%d:%d", UID, GID) + " /out/data " + DataDir,
		"CGO_ENABLED=0",
	}
	for _, env := range c.Env {
		want = append(want, "ENV "+env)
	}
	for _, w := range want {
		if !strings.Contains(df, w) {
			t.Errorf("the Dockerfile lacks %q", w)
		}
	}
}
