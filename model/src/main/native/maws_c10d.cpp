// c10d (PyTorch's distributed engine: TCPStore rendezvous, Gloo all-reduce) on the libtorch that DJL
// loaded, without libtorch's headers, which no registry this build reaches ships for 2.5.1. Each entry
// point is found by its symbol in the already-loaded libtorch_cpu.so (dlopen RTLD_NOLOAD + dlsym) and
// called through the Itanium C++ ABI; only functions whose parameters are standard-library types or
// pointers are called, and the two objects we build field by field (Options' devices and threads,
// AllreduceOptions) are checked against what the library's own constructor wrote. Java side:
// dev.maws.model.dist.C10dNative.
#include <jni.h>
#include <dlfcn.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <exception>
#include <new>
#include <optional>
#include <string>
#include <vector>

namespace {

struct IntrusivePtr { void* target; };           // c10::intrusive_ptr<T>: one pointer
struct SharedPtr { void* ptr; void* control; };  // std::shared_ptr<T>: two pointers

// c10d::TCPStore::TCPStore(const std::string& host, uint16_t port, std::optional<int> numWorkers,
//                          bool isServer, const std::chrono::milliseconds& timeout, bool waitWorkers)
using TcpStoreCtor = void (*)(void*, const std::string&, uint16_t, std::optional<int>, bool,
                              const std::chrono::milliseconds&, bool);
// c10d::ProcessGroupGloo::Options::Options(std::chrono::milliseconds timeout)
using OptionsCtor = void (*)(void*, std::chrono::milliseconds);
// std::shared_ptr<gloo::transport::Device> ProcessGroupGloo::createDeviceForHostname(const std::string&):
// a class returned by value comes back through a hidden first pointer
using DeviceFactory = void (*)(SharedPtr*, const std::string&);
// ProcessGroupGloo::ProcessGroupGloo(const intrusive_ptr<Store>&, int rank, int size, intrusive_ptr<Options>):
// a by-value class parameter is passed by address
using GroupCtor = void (*)(void*, const IntrusivePtr&, int, int, IntrusivePtr*);
// intrusive_ptr<Work> ProcessGroupGloo::allreduce(std::vector<at::Tensor>&, const AllreduceOptions&)
using AllreduceFn = void (*)(IntrusivePtr*, void*, void*, const void*);
// bool Work::wait(std::chrono::milliseconds) (ProcessGroupGloo's works do not override it)
using WaitFn = bool (*)(void*, std::chrono::milliseconds);

constexpr const char* kTcpStoreCtor =
    "_ZN4c10d8TCPStoreC1ERKNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEEtSt8optionalIiEbRKNSt6chrono8"
    "durationIlSt5ratioILl1ELl1000EEEEb";
constexpr const char* kOptionsCtor = "_ZN4c10d16ProcessGroupGloo7OptionsC1ENSt6chrono8durationIlSt5ratioILl1ELl1000EEEE";
constexpr const char* kDeviceFactory =
    "_ZN4c10d16ProcessGroupGloo23createDeviceForHostnameERKNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEE";
constexpr const char* kGroupCtor =
    "_ZN4c10d16ProcessGroupGlooC1ERKN3c1013intrusive_ptrINS_5StoreENS1_6detail34intrusive_target_default_null_typeIS3_"
    "EEEEiiNS2_INS0_7OptionsENS5_ISA_EEEE";
constexpr const char* kAllreduce =
    "_ZN4c10d16ProcessGroupGloo9allreduceERSt6vectorIN2at6TensorESaIS3_EERKNS_16AllreduceOptionsE";
constexpr const char* kWait = "_ZN4c10d4Work4waitENSt6chrono8durationIlSt5ratioILl1ELl1000EEEE";
constexpr const char* kReduceOpVtable = "_ZTVN4c10d8ReduceOpE";

// Objects are built in storage of ours, far larger than they are (a few hundred bytes in 2.5.1); the
// last kGuard bytes must keep their canary, or the process stops before using a corrupt heap.
constexpr size_t kStoreBytes = 4096;
constexpr size_t kGroupBytes = 8192;
constexpr size_t kGuard = 1024;
constexpr unsigned char kCanary = 0xA5;

void throwJava(JNIEnv* env, const char* cls, const std::string& msg) {
  jclass c = env->FindClass(cls);
  if (c != nullptr) env->ThrowNew(c, msg.c_str());
}

void* symbol(const char* name) {
  void* lib = dlopen("libtorch_cpu.so", RTLD_NOW | RTLD_NOLOAD);
  if (lib == nullptr) return nullptr;
  void* s = dlsym(lib, name);
  dlclose(lib);
  return s;
}

std::string string(JNIEnv* env, jstring s) {
  const char* c = env->GetStringUTFChars(s, nullptr);
  std::string out(c);
  env->ReleaseStringUTFChars(s, c);
  return out;
}

char* storage(size_t bytes) {
  char* p = static_cast<char*>(::operator new(bytes));
  std::memset(p, kCanary, bytes);
  return p;
}

void checkGuard(const char* p, size_t bytes) {
  for (size_t i = bytes - kGuard; i < bytes; i++) {
    if (static_cast<unsigned char>(p[i]) != kCanary) std::terminate();
  }
}

// c10::intrusive_ptr_target: the vtable pointer, then refcount and weakcount (uint32 each).
std::atomic<uint32_t>* counts(void* target) {
  return reinterpret_cast<std::atomic<uint32_t>*>(static_cast<char*>(target) + sizeof(void*));
}

// What make_intrusive does after construction: one strong reference (and the weak one it implies).
void adopt(void* target) {
  counts(target)[0].store(1);
  counts(target)[1].store(1);
}

// intrusive_ptr<T>::reset_(): vtable slots of an intrusive_ptr_target are 0 complete destructor,
// 1 deleting destructor, 2 release_resources.
void release(void* target) {
  std::atomic<uint32_t>* c = counts(target);
  if (c[0].fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  void** vtable = *reinterpret_cast<void***>(target);
  bool lastWeak = c[1].load(std::memory_order_acquire) == 1;
  if (!lastWeak) {
    reinterpret_cast<void (*)(void*)>(vtable[2])(target);
    lastWeak = c[1].fetch_sub(1, std::memory_order_acq_rel) == 1;
  }
  if (lastWeak) reinterpret_cast<void (*)(void*)>(vtable[1])(target);
}

// c10d::AllreduceOptions as its default constructor lays it out: ReduceOp{vtable, counts, op_ SUM,
// supplement_ null}, timeout kUnsetTimeout (-1 ms), sparseIndices nullopt.
struct AllreduceOptions {
  void* reduceOpVtable;
  uint32_t refcount, weakcount;
  uint8_t op;
  void* supplement;
  int64_t timeoutMs;
  void* sparseIndicesImpl;
  bool hasSparseIndices;
};
static_assert(sizeof(AllreduceOptions) == 56, "c10d::AllreduceOptions is 56 bytes");

}  // namespace

extern "C" {

JNIEXPORT jlong JNICALL Java_dev_maws_model_dist_C10dNative_newTcpStore(JNIEnv* env, jclass, jstring jhost, jint port,
    jint worldSize, jboolean isServer, jlong timeoutMs) {
  auto ctor = reinterpret_cast<TcpStoreCtor>(symbol(kTcpStoreCtor));
  if (ctor == nullptr) {
    throwJava(env, "java/lang/IllegalStateException", "the loaded libtorch has no c10d::TCPStore constructor");
    return 0;
  }
  std::string host = string(env, jhost);
  char* store = storage(kStoreBytes);
  try {
    ctor(store, host, static_cast<uint16_t>(port), std::optional<int>(worldSize), isServer == JNI_TRUE,
         std::chrono::milliseconds(timeoutMs), true);
  } catch (const std::exception& e) {
    ::operator delete(store);
    throwJava(env, "java/io/IOException", "c10d TCPStore at " + host + ":" + std::to_string(port) + ": " + e.what());
    return 0;
  }
  checkGuard(store, kStoreBytes);
  adopt(store);
  return reinterpret_cast<jlong>(store);
}

JNIEXPORT jlong JNICALL Java_dev_maws_model_dist_C10dNative_newGlooGroup(JNIEnv* env, jclass, jlong store, jint rank,
    jint worldSize, jstring jhost, jlong timeoutMs, jint threads) {
  auto optionsCtor = reinterpret_cast<OptionsCtor>(symbol(kOptionsCtor));
  auto deviceFactory = reinterpret_cast<DeviceFactory>(symbol(kDeviceFactory));
  auto groupCtor = reinterpret_cast<GroupCtor>(symbol(kGroupCtor));
  if (optionsCtor == nullptr || deviceFactory == nullptr || groupCtor == nullptr) {
    throwJava(env, "java/lang/IllegalStateException", "the loaded libtorch lacks c10d::ProcessGroupGloo");
    return 0;
  }
  std::string host = string(env, jhost);
  // Options: counts, timeout, backend name ("gloo"), then devices (a vector) and threads (2 by default)
  char* options = storage(kStoreBytes);
  optionsCtor(options, std::chrono::milliseconds(timeoutMs));
  checkGuard(options, kStoreBytes);
  size_t timeoutAt = sizeof(void*) + 2 * sizeof(uint32_t);
  const std::string* backend = reinterpret_cast<const std::string*>(options + timeoutAt + sizeof(int64_t));
  void** devices = reinterpret_cast<void**>(options + timeoutAt + sizeof(int64_t) + sizeof(std::string));
  int* threadCount = reinterpret_cast<int*>(devices + 3);
  if (*reinterpret_cast<int64_t*>(options + timeoutAt) != timeoutMs || backend->size() != 4
      || std::memcmp(backend->data(), "gloo", 4) != 0 || devices[0] != nullptr || devices[1] != nullptr
      || devices[2] != nullptr || *threadCount != 2) {
    throwJava(env, "java/lang/IllegalStateException",
              "c10d::ProcessGroupGloo::Options is laid out differently in the loaded libtorch than this bridge expects");
    return 0;
  }
  SharedPtr device{};
  try {
    deviceFactory(&device, host);
  } catch (const std::exception& e) {
    throwJava(env, "java/io/IOException", "Gloo device for " + host + ": " + e.what());
    return 0;
  }
  auto* slot = static_cast<SharedPtr*>(::operator new(sizeof(SharedPtr)));  // std::allocator's storage
  *slot = device;  // moved into the vector
  devices[0] = slot;
  devices[1] = slot + 1;
  devices[2] = slot + 1;
  *threadCount = threads;
  adopt(options);

  char* group = storage(kGroupBytes);
  IntrusivePtr storePtr{reinterpret_cast<void*>(store)};
  IntrusivePtr optionsPtr{options};
  // The Options parameter is a by-value intrusive_ptr: the callee works on our temporary and, in 2.5.1,
  // moves it into the group (options_(std::move(options))), leaving the temporary null. The temporary is
  // the caller's to destroy: its reference is released only if it still holds one (released twice, the
  // group's Options are freed under it, and freed again with the group).
  try {
    groupCtor(group, storePtr, rank, worldSize, &optionsPtr);
  } catch (const std::exception& e) {
    ::operator delete(group);
    if (optionsPtr.target != nullptr) release(optionsPtr.target);
    throwJava(env, "java/io/IOException", "c10d Gloo group, rank " + std::to_string(rank) + " of "
        + std::to_string(worldSize) + ": " + e.what());
    return 0;
  }
  checkGuard(group, kGroupBytes);
  if (optionsPtr.target != nullptr) release(optionsPtr.target);
  adopt(group);
  return reinterpret_cast<jlong>(group);
}

// Sums each tensor in place over the group (the same shape and dtype on every rank); tensors are
// at::Tensor* handles, as DJL's PtNDArray.getHandle() gives them.
JNIEXPORT void JNICALL Java_dev_maws_model_dist_C10dNative_allreduceSum(JNIEnv* env, jclass, jlong group,
    jlongArray handles, jlong timeoutMs) {
  static auto allreduce = reinterpret_cast<AllreduceFn>(symbol(kAllreduce));
  static auto wait = reinterpret_cast<WaitFn>(symbol(kWait));
  static void* reduceOpVtable = symbol(kReduceOpVtable);
  if (allreduce == nullptr || wait == nullptr || reduceOpVtable == nullptr) {
    throwJava(env, "java/lang/IllegalStateException", "the loaded libtorch lacks ProcessGroupGloo::allreduce");
    return;
  }
  jsize n = env->GetArrayLength(handles);
  std::vector<jlong> h(n);
  env->GetLongArrayRegion(handles, 0, n, h.data());
  // at::Tensor is one pointer (to its TensorImpl); each all-reduce gets a one-element
  // std::vector<at::Tensor> {begin, end, capacity} over a copy of that pointer. It is never destroyed
  // here, so the reference it borrows is never released here either; the work takes its own.
  std::vector<void*> impls(n);
  for (jsize i = 0; i < n; i++) impls[i] = *reinterpret_cast<void**>(h[i]);
  AllreduceOptions options{static_cast<char*>(reduceOpVtable) + 2 * sizeof(void*), 0, 0, 0, nullptr, -1, nullptr, false};
  for (jsize i = 0; i < n; i++) {
    IntrusivePtr work{nullptr};
    void* one[3] = {&impls[i], &impls[i] + 1, &impls[i] + 1};
    try {
      allreduce(&work, reinterpret_cast<void*>(group), one, &options);
      wait(work.target, std::chrono::milliseconds(timeoutMs));
    } catch (const std::exception& e) {
      if (work.target != nullptr) release(work.target);
      throwJava(env, "java/io/IOException", std::string("c10d all-reduce: ") + e.what());
      return;
    }
    release(work.target);
  }
}

JNIEXPORT void JNICALL Java_dev_maws_model_dist_C10dNative_release(JNIEnv*, jclass, jlong target) {
  if (target != 0) release(reinterpret_cast<void*>(target));
}

JNIEXPORT jint JNICALL Java_dev_maws_model_dist_C10dNative_referenceCount(JNIEnv*, jclass, jlong target) {
  return static_cast<jint>(counts(reinterpret_cast<void*>(target))[0].load());
}

}  // extern "C"
