package chat

import (
	"fmt"
	"strings"

	"songnuan/config"
)

// Credentials are the WeCom app settings a client needs to speak for
// WeCom: the callback ones (CorpID, Token, EncodingAESKey, AgentID) sign
// and encrypt messages, Secret fetches a token from the fake API.
type Credentials struct {
	CorpID         string
	Token          string
	EncodingAESKey string
	AgentID        string
	Secret         string
	// Demo is true when these are the demo credentials a bot with no
	// WeCom settings runs with.
	Demo bool
}

// DemoCredentials are the credentials of a bot in demo mode.
func DemoCredentials() Credentials {
	return Credentials{
		CorpID: config.DemoCorpID, Token: config.DemoToken, EncodingAESKey: config.DemoAESKey,
		AgentID: config.DemoAgentID, Secret: config.DemoSecret, Demo: true,
	}
}

// credentialVars are the variables that point a client at a real app, in
// the order they are reported.
var credentialVars = []string{"WECOM_CORP_ID", "WECOM_TOKEN", "WECOM_ENCODING_AES_KEY", "WECOM_AGENT_ID"}

// CredentialsFromEnv reads WECOM_CORP_ID, WECOM_TOKEN,
// WECOM_ENCODING_AES_KEY, WECOM_AGENT_ID (and WECOM_SECRET) through lookup
// (os.LookupEnv in production). With none of the first four set it returns
// the demo credentials, so the client works against a demo bot with no
// setup; with only some set it names the missing ones rather than mixing
// a real app's settings with the demo's. Empty values count as unset, as
// they do for the bot.
func CredentialsFromEnv(lookup func(string) (string, bool)) (Credentials, error) {
	get := func(k string) string {
		v, _ := lookup(k)
		return strings.TrimSpace(v)
	}
	var set, missing []string
	for _, k := range credentialVars {
		if get(k) != "" {
			set = append(set, k)
		} else {
			missing = append(missing, k)
		}
	}
	if len(set) == 0 {
		return DemoCredentials(), nil
	}
	if len(missing) > 0 {
		return Credentials{}, fmt.Errorf("已设置 %s，但缺少 %s：要么全部设置（与机器人的企业微信配置一致），要么全部不设（使用演示凭据）",
			strings.Join(set, "、"), strings.Join(missing, "、"))
	}
	return Credentials{
		CorpID: get("WECOM_CORP_ID"), Token: get("WECOM_TOKEN"), EncodingAESKey: get("WECOM_ENCODING_AES_KEY"),
		AgentID: get("WECOM_AGENT_ID"), Secret: get("WECOM_SECRET"),
	}, nil
}
