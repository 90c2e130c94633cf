package apim

import (
	"encoding/json"
	"fmt"
)

// sealSecrets encrypts a server's secrets for storage, bound to its key (the
// AAD), so a sealed blob copied onto another row does not open. No secrets
// means no blob.
func (p *Provider) sealSecrets(key string, s secretValues) ([]byte, error) {
	if s.ClientSecret == nil && s.ResourceOwnerPassword == nil {
		return nil, nil
	}
	plain, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("encode secrets: %w", err)
	}
	return p.box.Seal(plain, []byte(key)), nil
}

// openSecrets reverses sealSecrets. The error never includes the plaintext.
func (p *Provider) openSecrets(key string, sealed []byte) (secretValues, error) {
	var s secretValues
	if len(sealed) == 0 {
		return s, nil
	}
	plain, err := p.box.Open(sealed, []byte(key))
	if err != nil {
		return s, fmt.Errorf("open secrets of %s: %w", key, err)
	}
	if err := json.Unmarshal(plain, &s); err != nil {
		return s, fmt.Errorf("decode secrets of %s: stored value is not JSON", key)
	}
	return s, nil
}
