package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"
)

// `tokend playwright tokens create|list|delete` manage Playwright access
// tokens through the running tokend's data plane, signed in as a client
// (the bootstrap client by default): a token belongs to the principal that
// created it and acts with its roles, so the CLI creates tokens as a
// principal like any other, and the server audits the change as it audits
// every data-plane write. --account takes a Playwright Testing account id
// ({location}_{uuid}), --workspace a Playwright Workspaces id (a GUID).

// tokensTarget is where a tokens command acts: one data plane's tokens of
// one account or workspace.
type tokensTarget struct {
	account, workspace     string
	clientID, clientSecret string
	url                    string
}

func (t *tokensTarget) flags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&t.account, "account", "", "Playwright Testing account id ({location}_{uuid})")
	f.StringVar(&t.workspace, "workspace", "", "Playwright Workspaces workspace id (a GUID)")
	f.StringVar(&t.clientID, "client-id", "", "client to act as (default: the bootstrap client)")
	f.StringVar(&t.clientSecret, "client-secret", "", "its secret [TOKEND_CLIENT_SECRET]")
	f.StringVar(&t.url, "url", "", "tokend base URL (default: bootstrap.json's authority)")
	cmd.MarkFlagsMutuallyExclusive("account", "workspace")
	cmd.MarkFlagsOneRequired("account", "workspace")
	addOutputFlag(cmd)
}

// tokensAPI is a signed-in data-plane client for one target.
type tokensAPI struct {
	hc         *http.Client
	token      string
	collection string // .../access-tokens
	apiVersion string
}

func (t *tokensTarget) open(ctx context.Context, g *globalFlags) (*tokensAPI, error) {
	tok, hc, base, err := clientToken(ctx, g, "", "https://playwright.microsoft.com/.default", t.clientID, t.clientSecret, t.url)
	if err != nil {
		return nil, err
	}
	api := &tokensAPI{hc: hc, token: tok}
	if t.workspace != "" {
		api.collection, api.apiVersion = base+"/playwrightworkspaces/"+url.PathEscape(t.workspace)+"/access-tokens", "2025-09-01"
	} else {
		api.collection, api.apiVersion = base+"/playwright/accounts/"+url.PathEscape(t.account)+"/access-tokens", "2024-12-01"
	}
	return api, nil
}

// accessToken is the AccessToken model of both data planes.
type accessToken struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	JWTToken  string `json:"jwtToken,omitempty"`
	CreatedAt string `json:"createdAt"`
	ExpiryAt  string `json:"expiryAt"`
	State     string `json:"state"`
}

// call sends one request and decodes a 2xx body into out; any other
// status is an error quoting the service's.
func (a *tokensAPI) call(ctx context.Context, method, u string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	if !strings.Contains(u, "api-version=") {
		u += "?api-version=" + a.apiVersion
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		if json.Unmarshal(raw, &e) == nil && e.Error.Code != "" {
			return fmt.Errorf("%s %s: %d %s: %s", method, req.URL.Path, resp.StatusCode, e.Error.Code, e.Error.Message)
		}
		return fmt.Errorf("%s %s: %d", method, req.URL.Path, resp.StatusCode)
	}
	if out != nil && len(raw) > 0 {
		return json.Unmarshal(raw, out)
	}
	return nil
}

func newPlaywrightTokensCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{Use: "tokens", Short: "Playwright access tokens of an account (--account) or a workspace (--workspace)"}

	var ct tokensTarget
	var name, id string
	var lifetime time.Duration
	create := &cobra.Command{
		Use:   "create --account ID | --workspace ID --name NAME",
		Short: "Create an access token and print it (shown once: tokend keeps only its hash)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			api, err := ct.open(cmd.Context(), g)
			if err != nil {
				return err
			}
			if id == "" {
				id = uuid.NewString()
			}
			var tok accessToken
			body := map[string]string{"name": name, "expiryAt": time.Now().Add(lifetime).UTC().Format(time.RFC3339)}
			if err := api.call(cmd.Context(), http.MethodPut, api.collection+"/"+url.PathEscape(id), body, &tok); err != nil {
				return err
			}
			return emit(cmd, tok, func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "id:      %s\nname:    %s\nexpires: %s\n\n%s\n", tok.ID, tok.Name, tok.ExpiryAt, tok.JWTToken)
				return err
			})
		},
	}
	ct.flags(create)
	create.Flags().StringVar(&name, "name", "", "the token's name")
	create.Flags().StringVar(&id, "id", "", "the token's id (default: a new GUID)")
	create.Flags().DurationVar(&lifetime, "lifetime", 30*24*time.Hour, "how long the token lives")
	_ = create.MarkFlagRequired("name")

	var lt tokensTarget
	list := &cobra.Command{
		Use:   "list --account ID | --workspace ID",
		Short: "List access tokens (never their values)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			api, err := lt.open(cmd.Context(), g)
			if err != nil {
				return err
			}
			all := []accessToken{}
			for next := api.collection; next != ""; {
				var page struct {
					Value    []accessToken `json:"value"`
					NextLink string        `json:"nextLink"`
				}
				if err := api.call(cmd.Context(), http.MethodGet, next, nil, &page); err != nil {
					return err
				}
				all, next = append(all, page.Value...), page.NextLink
			}
			return emit(cmd, all, func(w io.Writer) error {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tNAME\tSTATE\tCREATED\tEXPIRES")
				for _, t := range all {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, t.State, t.CreatedAt, t.ExpiryAt)
				}
				return tw.Flush()
			})
		},
	}
	lt.flags(list)

	var dt tokensTarget
	del := &cobra.Command{
		Use:   "delete <token-id> --account ID | --workspace ID",
		Short: "Delete an access token: it stops working at once",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if args[0] == "" {
				return errors.New("a token id is required")
			}
			api, err := dt.open(cmd.Context(), g)
			if err != nil {
				return err
			}
			if err := api.call(cmd.Context(), http.MethodDelete, api.collection+"/"+url.PathEscape(args[0]), nil, nil); err != nil {
				return err
			}
			return emit(cmd, map[string]any{"id": args[0], "deleted": true}, func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "deleted %s\n", args[0])
				return err
			})
		},
	}
	dt.flags(del)
	cmd.AddCommand(create, list, del)
	return cmd
}
