// A whole age file (binary or armored) through the decryptor with a fixed X25519
// identity and a passphrase: plaintext or a typed error, at any split. scrypt work is
// capped low so that a stanza asking for more is refused, not computed.
#include "crypto/age.hpp"
#include "fuzz.hpp"
#include "pipeline/pipeline.hpp"

namespace {

class Null final : public lifeboat::pipeline::Sink {
public:
  void write(lifeboat::pipeline::Bytes b) override { size += b.size(); }
  std::size_t size = 0;
};

// The identity and passphrase most of age's testkit files are made for, so its files
// (the seeds `make fuzz` adds) reach the payload.
constexpr std::string_view k_identity =
    "AGE-SECRET-KEY-1EGTZVFFV20835NWYV6270LXYVK2VKNX2MMDKWYKLMGR48UAWX40Q2P2LM0";

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace lifeboat;
  if (size == 0) {
    return 0;
  }
  static const auto identity = crypto::X25519Identity::parse(k_identity);
  FUZZ_CHECK(identity.has_value());
  crypto::AgeDecryptOptions options;
  options.identities.push_back(*identity);
  options.passphrase = Secret(std::string("password"));
  options.max_work_factor = 10;
  options.object = "fuzz.age";
  Null null;
  try {
    pipeline::Pipeline pipe(null, 4096);
    pipe.add<crypto::AgeDecryptor>(std::move(options));
    for (auto piece : fuzz::chunks(fuzz::text(data + 1, size - 1), data[0])) {
      pipe.write(pipeline::as_bytes(piece));
    }
    pipe.finish();
  } catch (const Error&) {
    return 0;
  }
  return 0;
}
