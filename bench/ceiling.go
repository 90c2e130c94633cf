package bench

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/tokend-dev/tokend/localca"
)

// The ceiling is what this machine cannot go faster than, measured in the
// same run as the scenarios: the signing and verification cost of each
// algorithm tokend signs with, and a bare HTTPS JSON round trip driven by the
// same load generator. Each scenario is reported as a fraction of its bound
// (see Ceiling.For and docs/performance.md).

// SignCost is one algorithm's single-goroutine throughput, through go-jose
// (the JOSE library tokend depends on) and through the bare crypto.Signer /
// verify primitive (the part no implementation can avoid).
type SignCost struct {
	Alg          string  `json:"alg"`
	JOSESign     float64 `json:"jose_sign_ops"`
	JOSEVerify   float64 `json:"jose_verify_ops"`
	PrimSign     float64 `json:"primitive_sign_ops"`
	PrimVerify   float64 `json:"primitive_verify_ops"`
	TokenBytes   int     `json:"token_bytes"`
	PayloadBytes int     `json:"payload_bytes"`
}

// Sign is the unavoidable signing rate of one goroutine: the faster of the
// two ways (a signer written against the primitive is as fast as the
// primitive).
func (s SignCost) Sign() float64 { return math.Max(s.JOSESign, s.PrimSign) }

// Verify is the unavoidable verification rate of one goroutine.
func (s SignCost) Verify() float64 { return math.Max(s.JOSEVerify, s.PrimVerify) }

// Ceiling is the machine's measured limits.
type Ceiling struct {
	// Cores is how many CPUs the machine has (runtime.NumCPU): tokend and
	// the load generator share them.
	Cores int        `json:"cores"`
	Sign  []SignCost `json:"sign"`
	// HTTPS is the bare round trip: an in-process TLS server answering a
	// tiny JSON body, driven like the scenarios.
	HTTPS LoadResult `json:"https"`
	// HTTPSCores is the CPU the round-trip run used over its measured
	// window (client and server are one process there), and HTTPSCPURate
	// the round trips per second all cores would sustain at that cost.
	HTTPSCores   float64 `json:"https_cores"`
	HTTPSCPURate float64 `json:"https_cpu_rate_rps"`
}

// Bound names what limits a scenario physically.
type Bound string

const (
	// BoundHTTPS: the request does no cryptography the server cannot cache
	// (the bearer check of a reused token is a cache hit); the bound is the
	// HTTPS round trip.
	BoundHTTPS Bound = "https"
	// BoundSign: every request signs one token; the bound is
	// min(sign rate × cores, HTTPS round trip).
	BoundSign Bound = "sign"
	// BoundVerifySign: every request verifies one ES256 signature (a
	// client assertion) and signs one token; the bound is the cores over
	// the sum of both costs, or the HTTPS round trip.
	BoundVerifySign Bound = "verify+sign"
)

// For is a scenario's ceiling in requests per second, for the issuer's
// signing algorithm alg; 0 when not measured.
func (c *Ceiling) For(b Bound, alg string) float64 {
	https := c.HTTPS.Throughput
	switch b {
	case BoundSign:
		for _, s := range c.Sign {
			if s.Alg == alg {
				sign := s.Sign() * float64(c.Cores)
				if https == 0 {
					return sign
				}
				return math.Min(sign, https)
			}
		}
		return https
	case BoundVerifySign:
		var sign, verify float64
		for _, s := range c.Sign {
			if s.Alg == alg {
				sign = s.Sign()
			}
			if s.Alg == "ES256" {
				verify = s.Verify()
			}
		}
		if sign == 0 || verify == 0 {
			return https
		}
		rate := float64(c.Cores) / (1/sign + 1/verify)
		if https == 0 {
			return rate
		}
		return math.Min(rate, https)
	default:
		return https
	}
}

// ForCPU is For with CPU-normalized bounds: the signing rate per CPU-second
// times the cores, and the HTTPS round trips the cores would sustain at the
// measured CPU cost. Compared with a scenario's CPUCost.Rate it gives a
// fraction that holds on a shared machine.
func (c *Ceiling) ForCPU(b Bound, alg string) float64 {
	cc := *c
	cc.HTTPS.Throughput = c.HTTPSCPURate
	return cc.For(b, alg)
}

// signingAlgs are the algorithms tokend can sign with.
var signingAlgs = []string{"ES256", "RS256", "EdDSA"}

// measureSigning measures every algorithm for per (sign and verify each).
func measureSigning(ctx context.Context, per time.Duration) ([]SignCost, error) {
	var out []SignCost
	for _, alg := range signingAlgs {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		c, err := measureAlg(alg, per)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", alg, err)
		}
		out = append(out, c)
	}
	return out, nil
}

// benchClaims is a payload the size and shape of a tokend access token.
func benchClaims() []byte {
	now := time.Now().Unix()
	return fmt.Appendf(nil, `{"aud":"https://management.core.windows.net/","iss":"https://127.0.0.1:8443/4f8c2a9e-3b1d-4e6f-9a7c-2d5e8f1b3c4a/v2.0","iat":%d,"nbf":%d,"exp":%d,"aio":"bench","appid":"0e8f7c6d-5b4a-4392-8170-6f5e4d3c2b1a","appidacr":"1","azp":"0e8f7c6d-5b4a-4392-8170-6f5e4d3c2b1a","azpacr":"1","idp":"https://127.0.0.1:8443/4f8c2a9e-3b1d-4e6f-9a7c-2d5e8f1b3c4a/","idtyp":"app","oid":"7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d","rh":"bench","roles":[],"sub":"7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d","tid":"4f8c2a9e-3b1d-4e6f-9a7c-2d5e8f1b3c4a","uti":"bench-uti","ver":"2.0","jti":"3c2b1a0f-9e8d-4c7b-a6f5-e4d3c2b1a098"}`,
		now, now, now+3600)
}

func measureAlg(alg string, per time.Duration) (SignCost, error) {
	var priv crypto.Signer
	var err error
	var hash crypto.Hash
	switch alg {
	case "ES256":
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		hash = crypto.SHA256
	case "RS256":
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
		hash = crypto.SHA256
	case "EdDSA":
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	default:
		return SignCost{}, fmt.Errorf("unknown algorithm")
	}
	if err != nil {
		return SignCost{}, fmt.Errorf("generate key: %w", err)
	}
	payload := benchClaims()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(alg), Key: priv},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "bench-key"))
	if err != nil {
		return SignCost{}, fmt.Errorf("signer: %w", err)
	}
	c := SignCost{Alg: alg, PayloadBytes: len(payload)}
	var token string
	c.JOSESign, err = opsPerSecond(per, func() error {
		obj, err := signer.Sign(payload)
		if err != nil {
			return err
		}
		token, err = obj.CompactSerialize()
		return err
	})
	if err != nil {
		return c, fmt.Errorf("go-jose sign: %w", err)
	}
	c.TokenBytes = len(token)
	pub := priv.Public()
	algs := []jose.SignatureAlgorithm{jose.SignatureAlgorithm(alg)}
	c.JOSEVerify, err = opsPerSecond(per, func() error {
		obj, err := jose.ParseSigned(token, algs)
		if err != nil {
			return err
		}
		_, err = obj.Verify(pub)
		return err
	})
	if err != nil {
		return c, fmt.Errorf("go-jose verify: %w", err)
	}

	// The primitive: hash and sign the signing input, as a hand-written
	// JWS encoder does (the base64 of header and payload is the same for
	// both and costs ~1 µs).
	input := []byte(token[:strings.LastIndexByte(token, '.')])
	var sig []byte
	c.PrimSign, err = opsPerSecond(per, func() error {
		var err error
		if hash == 0 {
			sig, err = priv.Sign(nil, input, crypto.Hash(0))
			return err
		}
		d := sha256.Sum256(input)
		sig, err = priv.Sign(rand.Reader, d[:], hash)
		return err
	})
	if err != nil {
		return c, fmt.Errorf("sign: %w", err)
	}
	c.PrimVerify, err = opsPerSecond(per, func() error {
		switch k := pub.(type) {
		case *ecdsa.PublicKey:
			d := sha256.Sum256(input)
			if !ecdsa.VerifyASN1(k, d[:], sig) {
				return fmt.Errorf("ecdsa signature does not verify")
			}
		case *rsa.PublicKey:
			d := sha256.Sum256(input)
			return rsa.VerifyPKCS1v15(k, crypto.SHA256, d[:], sig)
		case ed25519.PublicKey:
			if !ed25519.Verify(k, input, sig) {
				return fmt.Errorf("ed25519 signature does not verify")
			}
		}
		return nil
	})
	if err != nil {
		return c, fmt.Errorf("verify: %w", err)
	}
	return c, nil
}

// opsPerSecond runs op on this goroutine for about d and returns its rate
// per second of the thread's own CPU time (wall time where the kernel does
// not tell): one core's rate, even when other processes take turns on it.
func opsPerSecond(d time.Duration, op func() error) (float64, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	// One untimed call: lazy initialisation (tables, pools) is not the
	// steady state.
	if err := op(); err != nil {
		return 0, err
	}
	n := 0
	start, cpu0 := time.Now(), threadCPU()
	deadline := start.Add(d)
	for {
		for range 8 {
			if err := op(); err != nil {
				return 0, err
			}
		}
		n += 8
		if now := time.Now(); !now.Before(deadline) {
			if cpu := threadCPU() - cpu0; cpu0 > 0 && cpu > 0 {
				return float64(n) / cpu.Seconds(), nil
			}
			return float64(n) / now.Sub(start).Seconds(), nil
		}
	}
}

// ceilingBody is the bare round trip's answer: a tiny JSON document.
var ceilingBody = []byte(`{"value":"ok"}`)

// measureHTTPS runs the load generator against an in-process HTTPS server
// configured as tokend's (local CA certificate, TLS 1.2+, HTTP/1.1 with
// keep-alive) whose handler answers a tiny JSON body, with the requests
// carrying a bearer token the size of a real one.
func measureHTTPS(ctx context.Context, spec LoadSpec, workers int) (LoadResult, float64, error) {
	dir, err := os.MkdirTemp("", "tokend-bench-ceiling")
	if err != nil {
		return LoadResult{}, 0, err
	}
	defer os.RemoveAll(dir)
	files := localca.FilesIn(dir)
	pair, err := localca.Ensure(files, localca.DefaultHosts, time.Now())
	if err != nil {
		return LoadResult{}, 0, fmt.Errorf("local CA: %w", err)
	}
	pool, err := localca.Pool(files.CACert)
	if err != nil {
		return LoadResult{}, 0, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return LoadResult{}, 0, err
	}
	hs := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			_, _ = w.Write(ceilingBody)
		}),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	tlsConf := &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}
	go func() { _ = hs.Serve(tls.NewListener(ln, tlsConf)) }()
	defer hs.Close()

	client := newHTTPClient([]*http.Transport{newTransport(pool, ln.Addr().String(), workers)})
	url := "https://" + ln.Addr().String() + "/ceiling"
	bearer := "Bearer " + strings.Repeat("x", 900)
	next := func(ctx context.Context, _ int) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", bearer)
		return req, nil
	}
	runtime.GC()
	w := &window{}
	spec.OnWindow = w.edge
	res := runLoad(ctx, client, spec, next)
	cores := w.client.Cores
	client.CloseIdleConnections()
	if res.Errors > 0 {
		return res, cores, fmt.Errorf("the bare HTTPS round trip failed %d times: %v", res.Errors, res.ErrorSamples)
	}
	return res, cores, nil
}
