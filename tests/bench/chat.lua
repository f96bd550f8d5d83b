-- wrk script: POSTs one chat completion request, SillyTavern-sized.
--   wrk ... -s chat.lua URL -- MODEL STREAM ["Name: value" ...]
-- MODEL: the "model" field; STREAM: "true" or "false" (the "stream" field);
-- any further arguments are extra request headers (run.sh's Portkey runs).
-- No response() callback: it would make wrk hand every body to Lua and measure
-- wrk instead of the server. Status codes are in wrk's "Non-2xx" line.

function init(args)
  local model = args[1] or "mock-model"
  local stream = args[2] or "false"
  if stream ~= "true" and stream ~= "false" then
    error("chat.lua: STREAM must be true or false, got " .. stream)
  end
  for i = 3, #args do
    local name, value = args[i]:match("^([^:]+):%s*(.*)$")
    if not name then error("chat.lua: a header must be 'Name: value', got " .. args[i]) end
    wrk.headers[name] = value
  end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer sk-bench"
  wrk.body = '{"model":"' .. model .. '",' ..
    '"messages":[' ..
      '{"role":"system","content":"You are Aria, a lighthouse keeper in a quiet coastal town. Stay in character."},' ..
      '{"role":"user","content":"Hello! The storm is getting worse. Can I wait inside until it passes?"},' ..
      '{"role":"assistant","content":"*opens the heavy door* Of course, come in before the wind takes you."},' ..
      '{"role":"user","content":"Thank you. What is that strange light out on the water?"}' ..
    '],' ..
    '"temperature":0.8,"max_tokens":300,"stream":' .. stream .. ',' ..
    '"presence_penalty":0,"frequency_penalty":0,"top_p":1,"logit_bias":{}}'
end
