//! LLM planner settings: defaults, then a TOML file, then the environment, then CLI flags.
//! The API key itself is never stored here — only the name of the variable that holds it.

use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Clone, Debug, PartialEq)]
pub struct LlmConfig {
    /// Server root; requests go to `{base_url}/v1/chat/completions` (a trailing `/v1` is fine).
    pub base_url: String,
    pub model: String,
    /// Name of the environment variable that holds the API key (never the key).
    pub api_key_env: String,
    pub timeout: Duration,
    /// Retries after a 429 or 5xx, with exponential backoff.
    pub retries: u32,
    /// Put worked examples in the prompt (small models need them).
    pub few_shot: bool,
    /// Ask once more for further calls when the first reply has room left.
    pub second_turn: bool,
    /// At most this many fault functions per plan.
    pub max_calls: usize,
    /// Reply length cap: a model that answers in prose instead of calling stops here.
    pub max_tokens: u32,
    /// Send requests from parallel renders at once (hosted APIs) instead of one at a time (a
    /// local server with one slot, where queued requests would run into the timeout).
    pub parallel_requests: bool,
    pub cache_dir: Option<PathBuf>,
    /// Which system prompt: `plain` or `physics` (kinematics, sounds, severities).
    pub prompt: super::PromptStyle,
}

impl Default for LlmConfig {
    fn default() -> Self {
        Self {
            base_url: "https://api.openai.com".into(),
            model: "gpt-4o".into(),
            api_key_env: "OPENAI_API_KEY".into(),
            // Generous: a CPU llama.cpp server takes tens of seconds for the tool prompt.
            timeout: Duration::from_secs(180),
            retries: 3,
            few_shot: true,
            second_turn: false,
            max_calls: 3,
            max_tokens: 400,
            parallel_requests: false,
            cache_dir: Some(PathBuf::from(".faultline-cache/llm")),
            prompt: super::PromptStyle::Plain,
        }
    }
}

/// The `[llm]` table of a TOML file; every field optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LlmFile {
    pub base_url: Option<String>,
    pub model: Option<String>,
    pub api_key_env: Option<String>,
    pub timeout_s: Option<f64>,
    pub retries: Option<u32>,
    pub few_shot: Option<bool>,
    pub second_turn: Option<bool>,
    pub max_calls: Option<usize>,
    pub max_tokens: Option<u32>,
    pub parallel_requests: Option<bool>,
    pub cache_dir: Option<PathBuf>,
    /// `plain` or `physics`.
    pub prompt: Option<super::PromptStyle>,
}

#[derive(Debug, Default, Deserialize)]
struct FileRoot {
    llm: Option<LlmFile>,
}

impl LlmConfig {
    /// Applies a TOML file's `[llm]` table; a key named `api_key` is refused, so secrets stay
    /// out of files.
    pub fn with_file(mut self, path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        // The message only, not toml's excerpt of the file: the offending line may hold a secret.
        let root: FileRoot = toml::from_str(&text)
            .map_err(|e| anyhow::anyhow!("{}: {}", path.display(), e.message()))?;
        if let Some(f) = root.llm {
            self.apply(f);
        }
        Ok(self)
    }

    pub fn apply(&mut self, f: LlmFile) {
        if let Some(v) = f.base_url {
            self.base_url = v;
        }
        if let Some(v) = f.model {
            self.model = v;
        }
        if let Some(v) = f.api_key_env {
            self.api_key_env = v;
        }
        if let Some(v) = f.timeout_s {
            self.timeout = Duration::from_secs_f64(v.max(0.001));
        }
        if let Some(v) = f.retries {
            self.retries = v;
        }
        if let Some(v) = f.few_shot {
            self.few_shot = v;
        }
        if let Some(v) = f.second_turn {
            self.second_turn = v;
        }
        if let Some(v) = f.max_calls {
            self.max_calls = v.max(1);
        }
        if let Some(v) = f.max_tokens {
            self.max_tokens = v.max(16);
        }
        if let Some(v) = f.parallel_requests {
            self.parallel_requests = v;
        }
        if let Some(v) = f.cache_dir {
            self.cache_dir = Some(v);
        }
        if let Some(v) = f.prompt {
            self.prompt = v;
        }
    }

    /// The OpenAI SDK's conventions: `OPENAI_BASE_URL`, `OPENAI_MODEL`; plus `FAULTLINE_LLM_MODEL`.
    pub fn with_env(mut self) -> Self {
        let get = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        if let Some(v) = get("OPENAI_BASE_URL") {
            self.base_url = v;
        }
        if let Some(v) = get("FAULTLINE_LLM_MODEL").or_else(|| get("OPENAI_MODEL")) {
            self.model = v;
        }
        // An unknown value is not silently dropped: it is named when the planner is made.
        if let Some(v) = get("FAULTLINE_LLM_PROMPT") {
            match super::PromptStyle::parse(&v) {
                Some(style) => self.prompt = style,
                None => eprintln!(
                    "warning: FAULTLINE_LLM_PROMPT={v:?} is not plain or physics; using {}",
                    self.prompt.name()
                ),
            }
        }
        self
    }

    pub fn endpoint(&self) -> String {
        let base = self.base_url.trim_end_matches('/');
        let base = base.strip_suffix("/v1").unwrap_or(base);
        format!("{base}/v1/chat/completions")
    }

    /// The key, read from the environment at request time only.
    pub fn api_key(&self) -> Option<String> {
        std::env::var(&self.api_key_env)
            .ok()
            .filter(|k| !k.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_then_overrides_and_no_keys_in_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("faultline.toml");
        std::fs::write(
            &p,
            "[llm]\nbase_url = \"http://127.0.0.1:8080/v1\"\nmodel = \"smol\"\ntimeout_s = 5\n",
        )
        .unwrap();
        let c = LlmConfig::default().with_file(&p).unwrap();
        assert_eq!(c.endpoint(), "http://127.0.0.1:8080/v1/chat/completions");
        assert_eq!(
            (c.model.as_str(), c.timeout),
            ("smol", Duration::from_secs(5))
        );
        std::fs::write(&p, "[llm]\napi_key = \"sk-secret\"\n").unwrap();
        let e = LlmConfig::default().with_file(&p).unwrap_err().to_string();
        assert!(e.contains("api_key") && !e.contains("sk-secret"), "{e}");
    }
}
