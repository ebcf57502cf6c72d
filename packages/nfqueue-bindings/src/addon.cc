// SPDX-License-Identifier: GPL-2.0-or-later
// N-API surface of nfqueue-bindings: a context-aware `NativeQueue` class. Each instance polls its
// netlink socket on the event loop of the thread that created it (main thread or a worker), calls
// JS once per batch with the packet count, then sends that batch's verdicts in one sendmsg.
// The packet, metadata and verdict tables are external ArrayBuffers over the instance's own memory.
#include <napi.h>
#include <uv.h>

#include <arpa/inet.h>

#include <memory>

#include "conntrack.h"
#include "netlink_queue.h"
#include "nft.h"

#include <nftables/libnftables.h>

namespace nfqb {
namespace {

// At most this many batches per wake-up, so one busy queue cannot starve its thread's loop.
constexpr int MAX_BATCHES_PER_WAKEUP = 8;

uint32_t OptionalU32(const Napi::Object& options, const char* name, uint32_t fallback) {
  Napi::Value value = options.Get(name);
  return value.IsNumber() ? value.As<Napi::Number>().Uint32Value() : fallback;
}

bool OptionalBool(const Napi::Object& options, const char* name, bool fallback) {
  Napi::Value value = options.Get(name);
  return value.IsBoolean() ? value.As<Napi::Boolean>().Value() : fallback;
}

}  // namespace

class NativeQueue : public Napi::ObjectWrap<NativeQueue> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NativeQueue",
                       {
                           InstanceMethod<&NativeQueue::Start>("start"),
                           InstanceMethod<&NativeQueue::Close>("close"),
                           InstanceMethod<&NativeQueue::Counters>("counters"),
                           InstanceMethod<&NativeQueue::Ref>("ref"),
                           InstanceMethod<&NativeQueue::Unref>("unref"),
                           InstanceAccessor<&NativeQueue::PacketsBuffer>("packets"),
                           InstanceAccessor<&NativeQueue::MetaBuffer>("meta"),
                           InstanceAccessor<&NativeQueue::VerdictsBuffer>("verdicts"),
                           InstanceAccessor<&NativeQueue::BatchSize>("batchSize"),
                       });
  }

  explicit NativeQueue(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeQueue>(info) {
    Napi::Env env = info.Env();
    if (!info[0].IsObject()) {
      Napi::TypeError::New(env, "NativeQueue(options): options object required").ThrowAsJavaScriptException();
      return;
    }
    Napi::Object options = info[0].As<Napi::Object>();
    QueueOptions parsed;
    uint32_t queueNumber = OptionalU32(options, "queue", 0);
    if (queueNumber > 65535) {
      Napi::RangeError::New(env, "queue must be 0..65535").ThrowAsJavaScriptException();
      return;
    }
    parsed.queue = uint16_t(queueNumber);
    parsed.copyRange = OptionalU32(options, "copyRange", parsed.copyRange);
    parsed.maxLength = OptionalU32(options, "maxLength", parsed.maxLength);
    parsed.receiveBufferBytes = OptionalU32(options, "receiveBufferBytes", parsed.receiveBufferBytes);
    parsed.batchSize = OptionalU32(options, "batchSize", parsed.batchSize);
    parsed.failOpen = OptionalBool(options, "failOpen", parsed.failOpen);
    parsed.gso = OptionalBool(options, "gso", parsed.gso);
    if (parsed.copyRange < 64 || parsed.copyRange > 65535) {
      Napi::RangeError::New(env, "copyRange must be 64..65535").ThrowAsJavaScriptException();
      return;
    }
    if (parsed.batchSize < 1 || parsed.batchSize > 65536) {
      Napi::RangeError::New(env, "batchSize must be 1..65536").ThrowAsJavaScriptException();
      return;
    }
    queue_ = std::make_unique<NetlinkQueue>(parsed);
    std::string error = queue_->Open();
    if (!error.empty()) {
      queue_.reset();
      Napi::Error::New(env, error).ThrowAsJavaScriptException();
      return;
    }
    env_ = env;
    napi_add_env_cleanup_hook(env, &NativeQueue::OnEnvCleanup, this);
    cleanupHookAdded_ = true;
  }

  ~NativeQueue() override {
    if (cleanupHookAdded_) napi_remove_env_cleanup_hook(env_, &NativeQueue::OnEnvCleanup, this);
    Shutdown();
  }

 private:
  // start(onBatch): begin polling; onBatch(count) runs once per received batch.
  Napi::Value Start(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!queue_ || !queue_->IsOpen()) {
      Napi::Error::New(env, "queue is closed").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (poll_) {
      Napi::Error::New(env, "queue is already started").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (!info[0].IsFunction()) {
      Napi::TypeError::New(env, "start(onBatch): function required").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    onBatch_ = Napi::Persistent(info[0].As<Napi::Function>());
    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) {
      Napi::Error::New(env, "no event loop for this thread").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    poll_ = new uv_poll_t;
    poll_->data = this;
    if (uv_poll_init(loop, poll_, queue_->Fd()) != 0) {
      delete poll_;
      poll_ = nullptr;
      Napi::Error::New(env, "uv_poll_init failed").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    uv_poll_start(poll_, UV_READABLE, &NativeQueue::OnReadable);
    if (!referenced_) uv_unref(reinterpret_cast<uv_handle_t*>(poll_));
    self_ = Napi::Persistent(Value());  // stay alive while polling
    return env.Undefined();
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Shutdown();
    return info.Env().Undefined();
  }

  Napi::Value Ref(const Napi::CallbackInfo& info) {
    referenced_ = true;
    if (poll_) uv_ref(reinterpret_cast<uv_handle_t*>(poll_));
    return info.Env().Undefined();
  }

  Napi::Value Unref(const Napi::CallbackInfo& info) {
    referenced_ = false;
    if (poll_) uv_unref(reinterpret_cast<uv_handle_t*>(poll_));
    return info.Env().Undefined();
  }

  Napi::Value Counters(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object result = Napi::Object::New(env);
    const QueueCounters& c = queue_ ? queue_->Counters() : closedCounters_;
    result.Set("packets", Napi::Number::New(env, double(c.packets)));
    result.Set("batches", Napi::Number::New(env, double(c.batches)));
    result.Set("verdicts", Napi::Number::New(env, double(c.verdicts)));
    result.Set("verdictMessages", Napi::Number::New(env, double(c.verdictMessages)));
    result.Set("enobufs", Napi::Number::New(env, double(c.enobufs)));
    result.Set("receiveErrors", Napi::Number::New(env, double(c.receiveErrors)));
    result.Set("sendErrors", Napi::Number::New(env, double(c.sendErrors)));
    result.Set("skippedMessages", Napi::Number::New(env, double(c.skippedMessages)));
    return result;
  }

  Napi::Value External(Napi::Env env, void* data, size_t bytes, Napi::Reference<Napi::ArrayBuffer>& cache) {
    if (!queue_) {
      Napi::Error::New(env, "queue is closed").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (cache.IsEmpty()) {
      // The memory belongs to queue_, which outlives every view: Shutdown() keeps queue_'s
      // buffers until the wrapper itself is collected.
      cache = Napi::Persistent(Napi::ArrayBuffer::New(env, data, bytes));
    }
    return cache.Value();
  }

  Napi::Value PacketsBuffer(const Napi::CallbackInfo& info) {
    return External(info.Env(), queue_ ? queue_->Packets() : nullptr, queue_ ? queue_->PacketsBytes() : 0, packets_);
  }
  Napi::Value MetaBuffer(const Napi::CallbackInfo& info) {
    return External(info.Env(), queue_ ? queue_->Meta() : nullptr, queue_ ? queue_->MetaWords() * 4 : 0, meta_);
  }
  Napi::Value VerdictsBuffer(const Napi::CallbackInfo& info) {
    return External(info.Env(), queue_ ? queue_->Verdicts() : nullptr, queue_ ? queue_->VerdictWords() * 4 : 0,
                    verdicts_);
  }
  Napi::Value BatchSize(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), queue_ ? queue_->Options().batchSize : 0);
  }

  static void OnReadable(uv_poll_t* handle, int status, int /*events*/) {
    NativeQueue* self = static_cast<NativeQueue*>(handle->data);
    if (status < 0 || !self->queue_) return;
    self->DrainBatches();
  }

  // Raw N-API on this path on purpose: node-addon-api's wrappers turn any failed call into a
  // JavaScript exception, and throwing one while the environment is being torn down (a worker
  // that crashed or is terminating) is a fatal error for the whole process.
  void DrainBatches() {
    napi_handle_scope scope;
    if (napi_open_handle_scope(env_, &scope) != napi_ok) return;
    for (int round = 0; round < MAX_BATCHES_PER_WAKEUP && queue_ && queue_->IsOpen(); round++) {
      uint32_t count = queue_->ReceiveBatch();
      if (count == 0) break;
      bool called = CallOnBatch(count);
      // Verdicts go out even when JS threw or cannot run: unset slots stay ACCEPT (fail-open).
      if (queue_ && queue_->IsOpen()) queue_->SendVerdicts(count);
      // Packets that arrived while this batch was decided are read now: an empty read costs less
      // than another trip through the event loop.
      if (!called) break;
    }
    napi_close_handle_scope(env_, scope);
  }

  // Calls onBatch(count); false when it threw (reported as uncaught) or JS cannot run any more.
  bool CallOnBatch(uint32_t count) {
    napi_value self, callback, argument, result;
    if (napi_get_reference_value(env_, static_cast<const Napi::Reference<Napi::Object>&>(*this), &self) != napi_ok || self == nullptr) return false;
    if (napi_get_reference_value(env_, onBatch_, &callback) != napi_ok || callback == nullptr) return false;
    if (napi_create_uint32(env_, count, &argument) != napi_ok) return false;
    if (napi_call_function(env_, self, callback, 1, &argument, &result) == napi_ok) return true;
    bool pending = false;
    napi_value error;
    if (napi_is_exception_pending(env_, &pending) == napi_ok && pending &&
        napi_get_and_clear_last_exception(env_, &error) == napi_ok) {
      napi_fatal_exception(env_, error);
    }
    return false;
  }

  // envTeardown: the environment (a worker thread, often one that crashed) is going away. Its loop
  // finishes closing handles only after this library may have been unloaded, so no callback of
  // ours may run then: the handle is closed without one and its few bytes are left behind.
  void Shutdown(bool envTeardown = false) {
    if (poll_) {
      uv_poll_stop(poll_);
      if (envTeardown) {
        uv_close(reinterpret_cast<uv_handle_t*>(poll_), nullptr);
      } else {
        uv_close(reinterpret_cast<uv_handle_t*>(poll_), [](uv_handle_t* handle) {
          delete reinterpret_cast<uv_poll_t*>(handle);
        });
      }
      poll_ = nullptr;
    }
    if (queue_) {
      closedCounters_ = queue_->Counters();
      queue_->Close();  // unbind and close the socket; the memory stays for live views
    }
    if (!onBatch_.IsEmpty()) onBatch_.Reset();
    if (!self_.IsEmpty()) self_.Reset();
  }

  static void OnEnvCleanup(void* data) {
    NativeQueue* self = static_cast<NativeQueue*>(data);
    self->cleanupHookAdded_ = false;
    self->Shutdown(true);
  }

  napi_env env_ = nullptr;
  std::unique_ptr<NetlinkQueue> queue_;
  uv_poll_t* poll_ = nullptr;
  bool referenced_ = true;
  bool cleanupHookAdded_ = false;
  QueueCounters closedCounters_;
  Napi::FunctionReference onBatch_;
  Napi::ObjectReference self_;
  Napi::Reference<Napi::ArrayBuffer> packets_;
  Napi::Reference<Napi::ArrayBuffer> meta_;
  Napi::Reference<Napi::ArrayBuffer> verdicts_;
};

// deleteConntrack(filter): deletes matching conntrack entries on a libuv pool thread (a dump and
// one DELETE per entry block for a moment) and settles a promise with { matched, deleted }.
class DeleteConntrackWork : public Napi::AsyncWorker {
 public:
  DeleteConntrackWork(Napi::Env env, const ConntrackFilter& filter)
      : Napi::AsyncWorker(env, "nfqueue-bindings:deleteConntrack"), filter_(filter), deferred_(env) {}

  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    result_ = DeleteConntrack(filter_);
    if (!result_.error.empty()) SetError(result_.error);
  }
  void OnOK() override {
    Napi::Env env = Env();
    Napi::Object value = Napi::Object::New(env);
    value.Set("matched", Napi::Number::New(env, result_.matched));
    value.Set("deleted", Napi::Number::New(env, result_.deleted));
    deferred_.Resolve(value);
  }
  void OnError(const Napi::Error& error) override { deferred_.Reject(error.Value()); }

 private:
  ConntrackFilter filter_;
  ConntrackResult result_;
  Napi::Promise::Deferred deferred_;
};

Napi::Value DeleteConntrackMethod(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsObject()) {
    Napi::TypeError::New(env, "deleteConntrack(filter): filter object required").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Object options = info[0].As<Napi::Object>();
  ConntrackFilter filter;
  uint32_t protocol = OptionalU32(options, "protocol", 0);
  uint32_t port = OptionalU32(options, "destinationPort", 0);
  if (protocol > 255 || port > 65535 || (port != 0 && protocol == 0)) {
    Napi::RangeError::New(env, "protocol must be 0..255, destinationPort 0..65535 and needs a protocol").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  filter.protocol = uint8_t(protocol);
  filter.destinationPort = uint16_t(port);
  // Addresses arrive as host-order numbers (a.b.c.d = a<<24 | ...); the tuple holds network order.
  filter.source = htonl(OptionalU32(options, "source", 0));
  filter.destination = htonl(OptionalU32(options, "destination", 0));
  // destinations: a flat array [address, port, address, port, ...] (addresses host-order numbers).
  Napi::Value list = options.Get("destinations");
  if (list.IsArray()) {
    Napi::Array pairs = list.As<Napi::Array>();
    for (uint32_t i = 0; i + 1 < pairs.Length(); i += 2) {
      Napi::Value address = pairs.Get(i);
      Napi::Value destinationPort = pairs.Get(i + 1);
      if (!address.IsNumber() || !destinationPort.IsNumber()) continue;
      filter.destinations.insert((uint64_t(address.As<Napi::Number>().Uint32Value()) << 16) |
                                 (destinationPort.As<Napi::Number>().Uint32Value() & 0xffff));
    }
  }
  auto* work = new DeleteConntrackWork(env, filter);
  Napi::Promise promise = work->Promise();
  work->Queue();
  return promise;
}

// runNft(script, outputFlags): runs an nft script through libnftables on a libuv pool thread (one
// transaction, a few netlink round trips) and settles a promise with what it printed.
class RunNftWork : public Napi::AsyncWorker {
 public:
  RunNftWork(Napi::Env env, std::string script, unsigned int outputFlags)
      : Napi::AsyncWorker(env, "nfqueue-bindings:runNft"), script_(std::move(script)), outputFlags_(outputFlags), deferred_(env) {}

  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    result_ = RunNft(script_, outputFlags_);
    if (!result_.error.empty()) SetError(result_.error);
  }
  void OnOK() override { deferred_.Resolve(Napi::String::New(Env(), result_.output)); }
  void OnError(const Napi::Error& error) override { deferred_.Reject(error.Value()); }

 private:
  std::string script_;
  unsigned int outputFlags_;
  NftResult result_;
  Napi::Promise::Deferred deferred_;
};

Napi::Value RunNftMethod(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) {
    Napi::TypeError::New(env, "runNft(script, outputFlags): script string required").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  // Only the output-format bits: JSON and TERSE (no set elements in listings).
  unsigned int flags = info[1].IsNumber() ? info[1].As<Napi::Number>().Uint32Value() : 0;
  auto* work = new RunNftWork(env, info[0].As<Napi::String>().Utf8Value(), flags & (NFT_CTX_OUTPUT_JSON | NFT_CTX_OUTPUT_TERSE));
  Napi::Promise promise = work->Promise();
  work->Queue();
  return promise;
}

class Addon : public Napi::Addon<Addon> {
 public:
  Addon(Napi::Env env, Napi::Object exports) {
    DefineAddon(exports, {
                             InstanceValue("NativeQueue", NativeQueue::Define(env), napi_enumerable),
                             InstanceValue("deleteConntrack", Napi::Function::New<DeleteConntrackMethod>(env, "deleteConntrack"), napi_enumerable),
                             InstanceValue("runNft", Napi::Function::New<RunNftMethod>(env, "runNft"), napi_enumerable),
                         });
  }
};

}  // namespace nfqb

using NfqueueBindingsAddon = nfqb::Addon;
NODE_API_ADDON(NfqueueBindingsAddon)
