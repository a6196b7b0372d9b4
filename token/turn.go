package token

import (
	"crypto/hmac"
	"crypto/sha1" //nolint:gosec // HMAC-SHA1 is what the TURN REST API and coturn specify.
	"encoding/base64"
	"strconv"
	"time"
)

// ICEServer is one entry of a page's RTCConfiguration.iceServers; the JSON
// tags match the browser's RTCIceServer dictionary.
type ICEServer struct {
	URLs       []string `json:"urls"`
	Username   string   `json:"username,omitempty"`
	Credential string   `json:"credential,omitempty"`
}

// TURNCredentials returns time-limited TURN credentials in the form of the
// "TURN REST API" draft, as coturn checks them with use-auth-secret and
// static-auth-secret=secret:
//
//	username   = "<expiry Unix seconds>:<user>"   (just "<expiry>" when user is empty)
//	credential = base64(HMAC-SHA1(secret, username))
//
// with expiry = now + ttl. The credential is useless without the secret and
// stops working at expiry, so it may be given to a page; the secret must not.
// user should not contain ':'. Use a token ID or other opaque value, not a
// real account name: the username is visible to the page and the network.
func TURNCredentials(secret []byte, user string, ttl time.Duration, now time.Time, urls ...string) ICEServer {
	username := strconv.FormatInt(now.Add(ttl).Unix(), 10)
	if user != "" {
		username += ":" + user
	}
	mac := hmac.New(sha1.New, secret)
	mac.Write([]byte(username))
	return ICEServer{
		URLs:       append([]string(nil), urls...),
		Username:   username,
		Credential: base64.StdEncoding.EncodeToString(mac.Sum(nil)),
	}
}
