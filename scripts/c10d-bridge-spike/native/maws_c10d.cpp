// Creates a c10d::TCPStore in DJL's libtorch without its headers: the constructor taking only
// standard-library types is found by its symbol in the already-loaded libtorch_cpu.so and called on
// storage of our own; ownership goes to the caller (bytedeco's Store adopts a fresh object).
#include <jni.h>
#include <dlfcn.h>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <exception>
#include <new>
#include <optional>
#include <string>

namespace {
// c10d::TCPStore::TCPStore(const std::string& host, uint16_t port, std::optional<int> numWorkers,
//                          bool isServer, const std::chrono::milliseconds& timeout, bool waitWorkers)
using TcpStoreCtor = void (*)(void*, const std::string&, uint16_t, std::optional<int>, bool,
                              const std::chrono::milliseconds&, bool);
constexpr const char* kCtorSymbol =
    "_ZN4c10d8TCPStoreC1ERKNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEEtSt8optionalIiEbRKNSt6chrono8"
    "durationIlSt5ratioILl1ELl1000EEEEb";
constexpr size_t kStorage = 4096;     // sizeof(c10d::TCPStore) in 2.5.1 is a few hundred bytes
constexpr size_t kGuard = 1024;       // bytes at the end that the constructor must leave untouched
constexpr unsigned char kCanary = 0xA5;

void throwJava(JNIEnv* env, const char* cls, const std::string& msg) {
  jclass c = env->FindClass(cls);
  if (c != nullptr) env->ThrowNew(c, msg.c_str());
}
}  // namespace

extern "C" JNIEXPORT jlong JNICALL Java_spike_C10dStore_newTcpStore(JNIEnv* env, jclass, jstring jhost, jint port,
    jint worldSize, jboolean isServer, jlong timeoutMs) {
  void* lib = dlopen("libtorch_cpu.so", RTLD_NOW | RTLD_NOLOAD);
  if (lib == nullptr) {
    throwJava(env, "java/lang/IllegalStateException", "libtorch_cpu.so is not loaded: start the PyTorch engine first");
    return 0;
  }
  auto ctor = reinterpret_cast<TcpStoreCtor>(dlsym(lib, kCtorSymbol));
  dlclose(lib);
  if (ctor == nullptr) {
    throwJava(env, "java/lang/IllegalStateException", "this libtorch has no c10d::TCPStore constructor " + std::string(kCtorSymbol));
    return 0;
  }
  const char* chost = env->GetStringUTFChars(jhost, nullptr);
  std::string host(chost);
  env->ReleaseStringUTFChars(jhost, chost);
  void* storage = ::operator new(kStorage);
  std::memset(storage, kCanary, kStorage);
  try {
    ctor(storage, host, static_cast<uint16_t>(port), std::optional<int>(worldSize), isServer == JNI_TRUE,
         std::chrono::milliseconds(timeoutMs), true);
  } catch (const std::exception& e) {
    ::operator delete(storage);
    throwJava(env, "java/io/IOException", std::string("c10d TCPStore ") + host + ":" + std::to_string(port) + ": " + e.what());
    return 0;
  }
  const unsigned char* bytes = static_cast<const unsigned char*>(storage);
  for (size_t i = kStorage - kGuard; i < kStorage; i++) {
    if (bytes[i] != kCanary) std::terminate();  // the object is larger than assumed: never run on
  }
  return reinterpret_cast<jlong>(storage);
}

namespace {
// Itanium C++ ABI views of what we call without libtorch's headers.
struct FakeIntrusivePtr { void* target; };               // c10::intrusive_ptr<T>: one pointer
struct FakeSharedPtr { void* ptr; void* control; };      // std::shared_ptr<T>: two pointers
using OptionsCtor = void (*)(void*, std::chrono::milliseconds);
using DeviceFactory = void (*)(FakeSharedPtr*, const std::string&);  // returned through a hidden pointer
using GroupCtor = void (*)(void*, const FakeIntrusivePtr&, int, int, FakeIntrusivePtr*);  // by-value arg: by address
constexpr const char* kOptionsCtor = "_ZN4c10d16ProcessGroupGloo7OptionsC1ENSt6chrono8durationIlSt5ratioILl1ELl1000EEEE";
constexpr const char* kDeviceFactory =
    "_ZN4c10d16ProcessGroupGloo23createDeviceForHostnameERKNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEE";
constexpr const char* kGroupCtor =
    "_ZN4c10d16ProcessGroupGlooC1ERKN3c1013intrusive_ptrINS_5StoreENS1_6detail34intrusive_target_default_null_typeIS3_EEEEiiNS2_INS0_7OptionsENS5_ISA_EEEE";

void* symbol(const char* name) {
  void* lib = dlopen("libtorch_cpu.so", RTLD_NOW | RTLD_NOLOAD);
  if (lib == nullptr) return nullptr;
  void* s = dlsym(lib, name);
  dlclose(lib);
  return s;
}

// intrusive_ptr_target's counts follow the vtable pointer: refcount then weakcount (uint32 each).
void adopt(void* target) {
  auto* counts = reinterpret_cast<uint32_t*>(static_cast<char*>(target) + 8);
  counts[0] = 1;
  counts[1] = 1;
}
}  // namespace

extern "C" JNIEXPORT jlong JNICALL Java_spike_C10dStore_newGlooGroup(JNIEnv* env, jclass, jlong store, jint rank,
    jint worldSize, jstring jhost, jlong timeoutMs, jint threads) {
  auto optionsCtor = reinterpret_cast<OptionsCtor>(symbol(kOptionsCtor));
  auto deviceFactory = reinterpret_cast<DeviceFactory>(symbol(kDeviceFactory));
  auto groupCtor = reinterpret_cast<GroupCtor>(symbol(kGroupCtor));
  if (optionsCtor == nullptr || deviceFactory == nullptr || groupCtor == nullptr) {
    throwJava(env, "java/lang/IllegalStateException", "this libtorch lacks c10d::ProcessGroupGloo's symbols");
    return 0;
  }
  const char* chost = env->GetStringUTFChars(jhost, nullptr);
  std::string host(chost);
  env->ReleaseStringUTFChars(jhost, chost);

  // Options, and where its fields are: timeout (the value given), backend "gloo", then devices, threads.
  char* options = static_cast<char*>(::operator new(kStorage));
  std::memset(options, kCanary, kStorage);
  optionsCtor(options, std::chrono::milliseconds(timeoutMs));
  size_t timeoutAt = 0;
  for (size_t off = 8; off <= 32; off += 8) {
    if (*reinterpret_cast<int64_t*>(options + off) == timeoutMs) { timeoutAt = off; break; }
  }
  size_t backendAt = timeoutAt + 8;
  const std::string* backend = reinterpret_cast<const std::string*>(options + backendAt);
  size_t devicesAt = backendAt + sizeof(std::string);
  void** devices = reinterpret_cast<void**>(options + devicesAt);
  int* threadsField = reinterpret_cast<int*>(options + devicesAt + 3 * sizeof(void*));
  if (timeoutAt == 0 || backend->size() != 4 || std::memcmp(backend->data(), "gloo", 4) != 0 || devices[0] != nullptr
      || devices[1] != nullptr || devices[2] != nullptr || *threadsField != 2) {
    throwJava(env, "java/lang/IllegalStateException", "c10d::ProcessGroupGloo::Options has an unexpected layout in this libtorch");
    return 0;
  }
  FakeSharedPtr device{};
  try {
    deviceFactory(&device, host);
  } catch (const std::exception& e) {
    throwJava(env, "java/io/IOException", std::string("gloo device for ") + host + ": " + e.what());
    return 0;
  }
  auto* slot = static_cast<FakeSharedPtr*>(::operator new(sizeof(FakeSharedPtr)));
  *slot = device;  // moved: the vector now owns the reference
  devices[0] = slot;
  devices[1] = slot + 1;
  devices[2] = slot + 1;
  *threadsField = threads;
  adopt(options);
  adopt(reinterpret_cast<void*>(store));

  char* group = static_cast<char*>(::operator new(2 * kStorage));
  std::memset(group, kCanary, 2 * kStorage);
  FakeIntrusivePtr storePtr{reinterpret_cast<void*>(store)};
  FakeIntrusivePtr optionsPtr{options};
  try {
    groupCtor(group, storePtr, rank, worldSize, &optionsPtr);
  } catch (const std::exception& e) {
    ::operator delete(group);
    throwJava(env, "java/io/IOException", std::string("c10d ProcessGroupGloo rank ") + std::to_string(rank) + " of "
        + std::to_string(worldSize) + ": " + e.what());
    return 0;
  }
  for (size_t i = 2 * kStorage - kGuard; i < 2 * kStorage; i++) {
    if (static_cast<unsigned char>(group[i]) != kCanary) std::terminate();
  }
  return reinterpret_cast<jlong>(group);
}
