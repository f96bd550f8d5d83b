// A fake Google Gemini API for the SDK test: answers generateContent with one
// GenerateContentResponse and streamGenerateContent?alt=sse with several, the
// way Gemini does (thoughts first, usage on the last event, no [DONE], the
// body cut into pieces at awkward places).
//
//   node fake_gemini.mjs API_KEY
//
// Listens on 127.0.0.1, port 0, and prints one line {"listening":PORT} on
// stdout once it accepts connections. A request without `x-goog-api-key:
// API_KEY` gets Gemini's 403; anything but POST .../models/<m>:generateContent
// or :streamGenerateContent?alt=sse gets 404. Exits on SIGTERM.

import http from 'node:http';

const [apiKey] = process.argv.slice(2);
if (!apiKey) {
  console.error('usage: node fake_gemini.mjs API_KEY');
  process.exit(2);
}

// The answer, in the pieces the stream sends; the whole text is their join.
const kThought = 'The user wants a greeting. ';
const kPieces = ['Hello from Gemini', ' through Switchboard,', ' one piece at a time.'];
const kUsage = { promptTokenCount: 11, candidatesTokenCount: 12, thoughtsTokenCount: 6, totalTokenCount: 29 };

function candidate(parts, finishReason) {
  const c = { content: { role: 'model', parts }, index: 0 };
  if (finishReason) c.finishReason = finishReason;
  return c;
}

function sendError(res, code, status, message) {
  res.writeHead(code, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify({ error: { code, message, status } }));
}

function answerWhole(res) {
  const parts = [{ text: kThought, thought: true }, ...kPieces.map((text) => ({ text }))];
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify({ candidates: [candidate(parts, 'STOP')], usageMetadata: kUsage, modelVersion: 'fake' }));
}

function answerStream(res) {
  const events = [
    { candidates: [candidate([{ text: kThought, thought: true }])] },
    ...kPieces.map((text, i) => {
      const last = i === kPieces.length - 1;
      const event = { candidates: [candidate([{ text }], last ? 'STOP' : undefined)] };
      if (last) event.usageMetadata = kUsage;
      return event;
    }),
  ];
  const body = events.map((e) => `data: ${JSON.stringify(e)}\r\n\r\n`).join('');
  res.writeHead(200, { 'Content-Type': 'text/event-stream' });
  // Cut every 29 bytes: inside events, inside JSON, between \r and \n.
  let at = 0;
  const next = () => {
    if (at >= body.length) {
      res.end();  // no [DONE]: Gemini just ends the body
      return;
    }
    res.write(body.slice(at, at + 29));
    at += 29;
    setTimeout(next, 1);
  };
  next();
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const url = new URL(req.url, 'http://fake');
    const match = /\/v1beta\/models\/[^/:]+:(generateContent|streamGenerateContent)$/.exec(url.pathname);
    if (req.method !== 'POST' || !match) {
      sendError(res, 404, 'NOT_FOUND', `no such method: ${req.method} ${url.pathname}`);
      return;
    }
    if (req.headers['x-goog-api-key'] !== apiKey) {
      sendError(res, 403, 'PERMISSION_DENIED', 'Method doesn\'t allow unregistered callers.');
      return;
    }
    let body;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      sendError(res, 400, 'INVALID_ARGUMENT', 'Invalid JSON payload received.');
      return;
    }
    if (!Array.isArray(body.contents) || body.contents.length === 0 || body.contents[0].role !== 'user') {
      sendError(res, 400, 'INVALID_ARGUMENT', 'Please ensure that multiturn requests alternate between user and model.');
      return;
    }
    if (match[1] === 'streamGenerateContent') {
      if (url.searchParams.get('alt') !== 'sse') {
        sendError(res, 400, 'INVALID_ARGUMENT', 'this fake only streams with alt=sse');
        return;
      }
      answerStream(res);
    } else {
      answerWhole(res);
    }
  });
});

server.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ listening: server.address().port }));
});
// Keep-alive connections from the data plane would hold server.close() open.
process.on('SIGTERM', () => process.exit(0));
