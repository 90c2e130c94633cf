package containerapps

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/wire"
)

// Secret values (properties.configuration.secrets[].value) are write-only:
// they are sealed into the resource's Secrets blob, under the resource key
// as additional data so a blob cannot be moved to another app, and only
// listSecrets returns them. Every other response carries the names alone.

// takeSecrets removes the secret values from doc and returns them by name.
// An entry sent without a value keeps the value stored under its name (a
// client that read the app, which never shows values, can send it back), or
// must reference Key Vault.
func takeSecrets(doc map[string]any, stored map[string]string) (map[string]string, error) {
	list, _ := object(object(doc, "properties"), "configuration")["secrets"].([]any)
	values := make(map[string]string, len(list))
	for i, item := range list {
		path := "properties.configuration.secrets[" + strconv.Itoa(i) + "]"
		sec, _ := item.(map[string]any)
		name := stringAt(sec, "name")
		if name == "" {
			return nil, wire.BadRequest("InvalidRequestContent", path+".name", "The property '"+path+".name' is required.")
		}
		if hasKey(list[:i], name) {
			return nil, wire.BadRequest("InvalidRequestContent", path+".name", "The secret name '"+name+"' is used more than once.")
		}
		v, sent := sec["value"].(string)
		delete(sec, "value")
		switch {
		case sent:
			values[name] = v
		case stringAt(sec, "keyVaultUrl") != "":
		default:
			old, ok := stored[name]
			if !ok {
				return nil, wire.BadRequest("InvalidRequestContent", path+".value",
					"The secret '"+name+"' needs a value or a keyVaultUrl.")
			}
			values[name] = old
		}
	}
	return values, nil
}

func hasKey(list []any, name string) bool {
	for _, item := range list {
		if sec, _ := item.(map[string]any); stringAt(sec, "name") == name {
			return true
		}
	}
	return false
}

func (s *Service) sealSecrets(key string, values map[string]string) ([]byte, error) {
	if len(values) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(values)
	if err != nil {
		return nil, fmt.Errorf("encode secrets: %w", err)
	}
	return s.box.Seal(b, []byte(key)), nil
}

func (s *Service) openSecrets(res *tokend.Resource) (map[string]string, error) {
	if len(res.Secrets) == 0 {
		return nil, nil
	}
	b, err := s.box.Open(res.Secrets, []byte(res.Key))
	if err != nil {
		return nil, fmt.Errorf("open secrets of %s: %w", res.ID, err)
	}
	var values map[string]string
	if err := json.Unmarshal(b, &values); err != nil {
		return nil, fmt.Errorf("decode secrets of %s: %w", res.ID, err)
	}
	return values, nil
}

// containerAppSecret is one item of a SecretsCollection.
type containerAppSecret struct {
	Name        string  `json:"name"`
	Value       *string `json:"value,omitempty"`
	Identity    string  `json:"identity,omitempty"`
	KeyVaultURL string  `json:"keyVaultUrl,omitempty"`
}

// listSecrets: POST .../listSecrets → 200 SecretsCollection, in the order
// of the app's configuration.
func (s *Service) listSecrets(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	res, err := s.load(ctx, appID(r))
	if err != nil {
		return nil, err
	}
	doc, err := s.storedDocument(res)
	if err != nil {
		return nil, err
	}
	values, err := s.openSecrets(res)
	if err != nil {
		return nil, err
	}
	list, _ := object(object(doc, "properties"), "configuration")["secrets"].([]any)
	out := make([]containerAppSecret, 0, len(list))
	for _, item := range list {
		sec, _ := item.(map[string]any)
		cs := containerAppSecret{Name: stringAt(sec, "name"), Identity: stringAt(sec, "identity"), KeyVaultURL: stringAt(sec, "keyVaultUrl")}
		if v, ok := values[cs.Name]; ok {
			cs.Value = &v
		}
		out = append(out, cs)
	}
	return wire.JSON(http.StatusOK, map[string]any{"value": out}), nil
}
