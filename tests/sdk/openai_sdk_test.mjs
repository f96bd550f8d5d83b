// Wire-compatibility test: drives a running Switchboard data plane with the
// official `openai` npm SDK, the way countless front ends do.
//
//   node openai_sdk_test.mjs BASE_URL MODEL [GEMINI_MODEL]
//   e.g. node openai_sdk_test.mjs http://127.0.0.1:3000/v1 triv gem
//
// MODEL must be a model whose answers are deterministic (a `trivial` provider):
// the streamed text is compared with the non-streamed one. GEMINI_MODEL, when
// given, is a `gemini` model whose upstream (fake_gemini.mjs) answers
// deterministically with thoughts: the same checks run through Gemini's
// translation, plus reasoning_content, ids and the model name.
//
// Every step has a deadline: the SDK's own `timeout` (it covers the wait for the
// response headers) and, around every await, a timer of ours (it also covers the
// streamed body, which the SDK's timeout does not). Exits 0 when every check
// passed, 1 with a message naming the failed check otherwise.

import OpenAI from 'openai';
import { VERSION } from 'openai/version';

const kStepTimeoutMs = 10_000;
const kUnknownModel = 'switchboard-sdk-test-no-such-model';

const [baseURL, model, geminiModel] = process.argv.slice(2);
if (!baseURL || !model) {
  console.error('usage: node openai_sdk_test.mjs BASE_URL MODEL [GEMINI_MODEL]');
  process.exit(2);
}

class CheckFailed extends Error {}

function check(condition, what, detail) {
  if (!condition) {
    const shown = detail === undefined ? '' : `: got ${JSON.stringify(detail)}`;
    throw new CheckFailed(`${what}${shown}`);
  }
}

// Resolves like `promise`, or rejects after `ms` with a message naming the step;
// `onTimeout` may abort the underlying request.
async function withTimeout(promise, step, ms = kStepTimeoutMs, onTimeout = undefined) {
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => {
      if (onTimeout) onTimeout();
      reject(new CheckFailed(`${step}: no answer within ${ms} ms`));
    }, ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

const client = new OpenAI({
  baseURL,
  apiKey: 'sk-anything',
  timeout: kStepTimeoutMs,
  // A retry would hide a failing first answer; we want to see it.
  maxRetries: 0,
});

const messages = [
  { role: 'system', content: 'You are a test.' },
  { role: 'user', content: 'Say something.' },
];

async function testModelsList() {
  const step = 'models.list()';
  const page = await withTimeout(client.models.list(), step);
  const models = page.data;
  check(Array.isArray(models), `${step}: data is an array`, models);
  const ids = models.map((m) => m.id);
  const entry = models.find((m) => m.id === model);
  check(entry !== undefined, `${step}: lists model "${model}"`, ids);
  check(entry.object === 'model', `${step}: entry of "${model}" has object "model"`, entry);
  console.log(`ok   ${step}: ${models.length} model(s), "${model}" among them`);
}

async function testNonStreamed() {
  const step = 'chat.completions.create (non-streamed)';
  const completion = await withTimeout(
    client.chat.completions.create({ model, messages, temperature: 0.7, max_tokens: 100 }),
    step,
  );
  check(completion.object === 'chat.completion', `${step}: object is "chat.completion"`, completion.object);
  check(typeof completion.id === 'string' && completion.id.length > 0, `${step}: id is a non-empty string`, completion.id);
  check(Array.isArray(completion.choices) && completion.choices.length > 0, `${step}: choices is non-empty`, completion.choices);
  const choice = completion.choices[0];
  check(choice.message?.role === 'assistant', `${step}: choices[0].message.role is "assistant"`, choice.message);
  const content = choice.message.content;
  check(typeof content === 'string' && content.length > 0, `${step}: choices[0].message.content is a non-empty string`, content);
  check(typeof choice.finish_reason === 'string' && choice.finish_reason.length > 0,
    `${step}: choices[0].finish_reason is set`, choice.finish_reason);
  check(Number.isInteger(completion.usage?.total_tokens) && completion.usage.total_tokens > 0,
    `${step}: usage.total_tokens is a positive integer`, completion.usage);
  console.log(`ok   ${step}: ${content.length} characters, finish_reason "${choice.finish_reason}", ` +
    `${completion.usage.total_tokens} tokens`);
  return content;
}

// Streams one completion of `streamModel` and returns {text, reasoning,
// chunks, last, usageChunk, ids, models}. Checks the shape of every chunk on
// the way.
async function streamOnce(step, extra, streamModel = model) {
  const stream = await withTimeout(
    client.chat.completions.create({ model: streamModel, messages, stream: true, ...extra }),
    step,
  );
  const abort = () => stream.controller.abort();
  const iterator = stream[Symbol.asyncIterator]();
  let text = '';
  let reasoning = '';  // delta.reasoning_content, which the SDK passes through
  const ids = new Set();
  const models = new Set();
  let chunks = 0;
  let last;          // the last chunk that carried a choice
  let usageChunk;    // a chunk with `usage` and no choices (stream_options.include_usage)
  for (;;) {
    const { value: chunk, done } = await withTimeout(iterator.next(), `${step}: chunk ${chunks + 1}`,
      kStepTimeoutMs, abort);
    if (done) break;
    chunks += 1;
    const where = `${step}: chunk ${chunks}`;
    check(chunk.object === 'chat.completion.chunk', `${where}: object is "chat.completion.chunk"`, chunk);
    check(Array.isArray(chunk.choices), `${where}: choices is an array`, chunk);
    ids.add(chunk.id);
    models.add(chunk.model);
    if (chunk.choices.length === 0) {
      check(usageChunk === undefined, `${where}: at most one chunk without choices`, chunk);
      check(extra.stream_options?.include_usage === true,
        `${where}: choices is empty only in the usage chunk asked for by stream_options.include_usage`, chunk);
      usageChunk = chunk;
      continue;
    }
    check(usageChunk === undefined, `${where}: no chunk with choices after the usage chunk`, chunk);
    const delta = chunk.choices[0].delta;
    check(delta !== null && typeof delta === 'object', `${where}: choices[0].delta is an object`, chunk);
    if (delta.content !== undefined && delta.content !== null) {
      check(typeof delta.content === 'string', `${where}: choices[0].delta.content is a string`, delta);
      text += delta.content;
    }
    if (typeof delta.reasoning_content === 'string') reasoning += delta.reasoning_content;
    last = chunk;
  }
  check(chunks > 0, `${step}: at least one chunk`);
  return { text, reasoning, chunks, last, usageChunk, ids, models };
}

async function testStreamed(expected) {
  const step = 'chat.completions.create (stream: true)';
  const { text, chunks, last } = await streamOnce(step, {});
  check(text.length > 0, `${step}: concatenated delta.content is non-empty`, text);
  check(text === expected, `${step}: concatenated delta.content equals the non-streamed content "${expected}"`, text);
  check(last?.choices[0].finish_reason === 'stop', `${step}: last chunk has finish_reason "stop"`, last);
  console.log(`ok   ${step}: ${chunks} chunks, same text as non-streamed, ends with finish_reason "stop"`);
}

async function testStreamedWithUsage(expected) {
  const step = 'chat.completions.create (stream: true, stream_options.include_usage)';
  const { text, chunks, last, usageChunk } = await streamOnce(step, { stream_options: { include_usage: true } });
  check(text === expected, `${step}: concatenated delta.content equals the non-streamed content`, text);
  check(last?.choices[0].finish_reason === 'stop', `${step}: last chunk with a choice has finish_reason "stop"`, last);
  check(usageChunk !== undefined, `${step}: a final chunk with empty choices carries usage`);
  check(Number.isInteger(usageChunk.usage?.total_tokens) && usageChunk.usage.total_tokens > 0,
    `${step}: usage.total_tokens is a positive integer`, usageChunk);
  console.log(`ok   ${step}: ${chunks} chunks, usage chunk with ${usageChunk.usage.total_tokens} tokens`);
}

async function testUnknownModel() {
  const step = `chat.completions.create (unknown model "${kUnknownModel}")`;
  let error;
  try {
    await withTimeout(client.chat.completions.create({ model: kUnknownModel, messages }), step);
  } catch (e) {
    error = e;
  }
  check(error !== undefined, `${step}: throws`);
  if (error instanceof CheckFailed) throw error;
  check(error instanceof OpenAI.NotFoundError,
    `${step}: throws OpenAI.NotFoundError`, `${error?.constructor?.name}: ${error?.message}`);
  check(error.status === 404, `${step}: status is 404`, error.status);
  const message = error.error?.message;
  check(typeof message === 'string' && message.length > 0,
    `${step}: the body's error.message is a non-empty string`, error.error);
  console.log(`ok   ${step}: NotFoundError 404 "${message}"`);
}

// A `gemini` model: the SDK sees OpenAI objects built from Gemini's answers.
async function testGemini() {
  let step = `chat.completions.create (gemini model "${geminiModel}", non-streamed)`;
  const completion = await withTimeout(
    client.chat.completions.create({ model: geminiModel, messages, temperature: 0.7, max_tokens: 100 }),
    step,
  );
  check(completion.object === 'chat.completion', `${step}: object is "chat.completion"`, completion.object);
  check(completion.model === geminiModel, `${step}: model is the name asked for`, completion.model);
  check(/^chatcmpl-/.test(completion.id), `${step}: id starts with chatcmpl-`, completion.id);
  const message = completion.choices[0]?.message;
  const content = message?.content;
  check(typeof content === 'string' && content.length > 0, `${step}: content is a non-empty string`, message);
  check(typeof message.reasoning_content === 'string' && message.reasoning_content.length > 0,
    `${step}: the thoughts arrive as reasoning_content`, message);
  check(!content.includes(message.reasoning_content.trim()), `${step}: the thoughts are not in content`, message);
  check(completion.choices[0].finish_reason === 'stop', `${step}: finish_reason is "stop"`, completion.choices[0]);
  check(completion.usage?.completion_tokens_details?.reasoning_tokens > 0,
    `${step}: usage counts reasoning tokens`, completion.usage);
  check(completion.usage.total_tokens === completion.usage.prompt_tokens + completion.usage.completion_tokens,
    `${step}: total_tokens is prompt + completion`, completion.usage);
  console.log(`ok   ${step}: "${content}", ${completion.usage.total_tokens} tokens`);

  step = `chat.completions.create (gemini model "${geminiModel}", stream: true, include_usage)`;
  const { text, reasoning, chunks, last, usageChunk, ids, models } =
    await streamOnce(step, { stream_options: { include_usage: true } }, geminiModel);
  check(text === content, `${step}: concatenated delta.content equals the non-streamed content`, text);
  check(reasoning === message.reasoning_content, `${step}: reasoning_content equals the non-streamed one`, reasoning);
  check(last?.choices[0].finish_reason === 'stop', `${step}: last chunk with a choice has finish_reason "stop"`, last);
  check(ids.size === 1, `${step}: one id across the stream`, [...ids]);
  check(models.size === 1 && models.has(geminiModel), `${step}: every chunk names the model asked for`, [...models]);
  check(usageChunk?.usage?.total_tokens === completion.usage.total_tokens,
    `${step}: the usage chunk matches the non-streamed usage`, usageChunk);
  console.log(`ok   ${step}: ${chunks} chunks, same text and reasoning as non-streamed, one id`);
}

async function main() {
  console.log(`openai SDK ${VERSION} against ${baseURL}, model "${model}"`);
  await testModelsList();
  const content = await testNonStreamed();
  await testStreamed(content);
  await testStreamedWithUsage(content);
  await testUnknownModel();
  if (geminiModel) await testGemini();
  console.log('PASS openai SDK wire compatibility');
}

main().then(
  () => process.exit(0),
  (error) => {
    if (error instanceof CheckFailed) {
      console.error(`FAIL ${error.message}`);
    } else {
      // An SDK error where none was expected: status, body and cause say why.
      const status = error?.status !== undefined ? ` (HTTP ${error.status})` : '';
      const cause = error?.cause ? `; cause: ${error.cause}` : '';
      console.error(`FAIL unexpected ${error?.constructor?.name}${status}: ${error?.message}${cause}`);
    }
    process.exit(1);
  },
);
