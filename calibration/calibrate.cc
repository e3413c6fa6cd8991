#include "calibration/calibrate.h"

#include <filesystem>
#include <memory>
#include <type_traits>
#include <variant>

#include <fmt/format.h>

#include "calibration/gpu_backend.h"
#include "calibration/profile_assembly.h"
#include "calibration/results_io.h"
#include "calibration/tables.h"
#include "common/atomic_file.h"
#include "hardware_profiles/catalogue.h"
#include "hardware_profiles/profile_loader.h"

namespace ptsim {

namespace {

// The sink of a measuring run on the process that writes files: checkpoint, then table row.
class RunSink : public MeasurementSink {
 public:
  RunSink(Checkpoint* checkpoint, std::ostream& out) : checkpoint_(checkpoint), printer_(out) {}
  bool already_measured(const Measurement& point) const override {
    return checkpoint_ != nullptr && checkpoint_->has(measurement_key(point));
  }
  void begin_section(Section section, const std::vector<std::string>& notes) override {
    if (checkpoint_ != nullptr) printer_.begin(section, notes);
  }
  Status record(const Measurement& m) override {
    if (checkpoint_ == nullptr) return ok_status();  // MPI ranks other than 0 write nothing
    if (auto s = checkpoint_->append(m); !s.ok()) return s;
    printer_.row(m);
    ++measured_;
    wrong_ += measurement_wrong(m);
    return ok_status();
  }
  void note(const std::string& line) override {
    if (checkpoint_ != nullptr) printer_.note(line);
  }
  void end_section() override {
    if (checkpoint_ != nullptr) printer_.end();
  }
  int measured() const { return measured_; }
  std::int64_t wrong() const { return wrong_; }

 private:
  Checkpoint* checkpoint_;
  TablePrinter printer_;
  int measured_ = 0;
  std::int64_t wrong_ = 0;
};

Status refuse_existing(const std::string& path, const char* flag, bool force) {
  std::error_code ec;
  if (!force && std::filesystem::exists(path, ec)) {
    return InputError{std::string(flag) + " " + path, "",
                      "file exists; refusing to overwrite it (pass --force to replace it)"};
  }
  return ok_status();
}

// The catalogue cluster a GPU's calibration starts from, by the name CUDA reports.
Result<std::string> default_base_for(const std::string& device_name) {
  struct Match {
    const char* needle;
    const char* cluster;
  };
  // Order matters: "GB200" before "B200".
  static constexpr Match kMatches[] = {{"GB200", "gb200-nvl72"},
                                       {"B200", "dgx-b200"},
                                       {"H200", "dgx-h200"},
                                       {"H100", "dgx-h100"},
                                       {"A100", "dgx-a100"}};
  for (const auto& m : kMatches) {
    if (device_name.find(m.needle) != std::string::npos) return std::string(m.cluster);
  }
  return InputError{"--base", "",
                    "no catalogue cluster matches GPU '" + device_name +
                        "'; name one (or a profile file) with --base"};
}

Result<ClusterProfile> resolve_base(const CalibrateOptions& o, const Provenance& p) {
  std::string spec = o.base;
  if (spec.empty()) {
    auto d = default_base_for(p.device.name);
    if (!d.ok()) return d.error();
    spec = *d;
  }
  return load_cluster(spec);
}

Result<CalibrateOutcome> fit_and_write(const CalibrateOptions& o, const MeasurementSet& data,
                                       const ClusterProfile& base, CalibrateOutcome outcome,
                                       std::ostream& out) {
  FitOptions fo;
  fo.profile_name = o.name;
  fo.gemm_use_best = o.gemm_use_best;
  auto fitted = fit_profile(data, base, fo);
  if (!fitted.ok()) return fitted.error();
  const Overwrite ow = o.force ? Overwrite::allow : Overwrite::refuse;
  outcome.profile_path = o.out;
  outcome.report_path = report_path_for(o.out);
  if (auto s =
          write_file_atomically(outcome.report_path, fitted->report.dump(1) + "\n", ow, "--out");
      !s.ok()) {
    return s.error();
  }
  const Json profile = cluster_profile_to_json(fitted->profile);
  if (auto s = write_file_atomically(o.out, profile.dump(2) + "\n", ow, "--out"); !s.ok()) {
    return s.error();
  }
  out << "#\n# profile " << o.out << " (load it with --cluster " << o.out << ")\n";
  out << "# fit report " << outcome.report_path << "\n";
  out << "# " << fitted->profile.source << "\n";
  const Json& kept = fitted->report["kept_from_base"];
  if (!kept.empty()) {
    out << "# not measured, kept from '" << base.name << "': ";
    for (std::size_t i = 0; i < kept.size(); ++i) {
      out << (i ? ", " : "") << kept[i].get<std::string>();
    }
    out << "\n";
  }
  return outcome;
}

Json outcome_json(const CalibrateOutcome& c) {
  return Json{{"profile", c.profile_path},   {"report", c.report_path},
              {"results", c.results_path},   {"measured_points", c.measured},
              {"resumed_points", c.resumed}, {"wrong", c.wrong}};
}

Area area_of(const Measurement& m) {
  return std::visit(
      [](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, GemmMeasurement>) return Area::gemm;
        if constexpr (std::is_same_v<T, AttentionMeasurement>) return Area::attention;
        if constexpr (std::is_same_v<T, MemoryMeasurement>) return Area::memory;
        if constexpr (std::is_same_v<T, CollectiveMeasurement>) return Area::nccl;
        return Area::interference;
      },
      m);
}

Result<CalibrateOutcome> run(const CalibrateOptions& o, GpuBackend* given, std::ostream& out) {
  if (o.out.empty()) return InputError{"--out", "", "is required (the profile to write)"};
  if (auto s = o.settings.validate(); !s.ok()) return s.error();
  const std::string report = report_path_for(o.out);
  const std::string results = o.results.empty() ? default_results_path(o.out) : o.results;

  if (!o.from_results.empty()) {
    // Fit only: no GPU needed.
    for (auto [path, flag] : {std::pair{o.out, "--out"}, std::pair{report, "--out"}}) {
      if (auto s = refuse_existing(path, flag, o.force); !s.ok()) return s.error();
    }
    auto data = load_measurements(o.from_results);
    if (!data.ok()) return data.error();
    auto base = resolve_base(o, data->provenance);
    if (!base.ok()) return base.error();
    // --what chooses the tables to fit; the others stay the base's (e.g. leave out attention
    // measured on kernels slower than the ones training runs use).
    const std::size_t in_file = data->measurements.size();
    std::erase_if(data->measurements,
                  [&](const Measurement& m) { return !o.settings.has(area_of(m)); });
    out << "# fitting " << data->measurements.size() << " of " << in_file << " measurements from "
        << o.from_results << "\n";
    return fit_and_write(o, *data, *base, CalibrateOutcome{}, out);
  }

  std::unique_ptr<GpuBackend> owned;
  GpuBackend* backend = given;
  if (backend == nullptr) {
    auto made = make_gpu_backend();
    if (!made.ok()) return made.error();
    owned = std::move(made).value();
    backend = owned.get();
  }
  Provenance provenance = backend->environment();
  provenance.command_line = o.command_line;
  provenance.args = o.settings.to_json();
  const bool writer = backend->world_rank() == 0;

  std::unique_ptr<Checkpoint> checkpoint;
  ClusterProfile base;
  if (writer) {
    // The base profile first: a GPU without a catalogue cluster fails now, not after an hour.
    auto b = resolve_base(o, provenance);
    if (!b.ok()) return b.error();
    base = std::move(b).value();
    for (auto [path, flag] :
         {std::pair{results, "--results"}, std::pair{o.out, "--out"}, std::pair{report, "--out"}}) {
      if (auto s = refuse_existing(path, flag, o.force); !s.ok()) return s.error();
    }
    auto cp = Checkpoint::open(checkpoint_path_for(results), provenance, o.force);
    if (!cp.ok()) return cp.error();
    checkpoint = std::make_unique<Checkpoint>(std::move(cp).value());
    provenance.resumed_points = checkpoint->resumed();
    out << fmt::format("# {}\n# device: {} ({} SMs), driver {}, CUDA {}, NCCL {}\n",
                       provenance.tool, provenance.device.name, provenance.device.sm_count,
                       provenance.driver_version, provenance.cuda_runtime_version,
                       provenance.nccl_version.empty() ? "none" : provenance.nccl_version);
    out << fmt::format("# checkpoint: {} ({} points resumed)\n", checkpoint->path(),
                       checkpoint->resumed());
  }

  const CalibrationPlan plan = make_plan(o.settings);
  RunSink sink(checkpoint.get(), out);
  if (auto s = backend->run(plan, sink); !s.ok()) return s.error();
  if (!writer) return CalibrateOutcome{};

  MeasurementSet data{provenance, checkpoint->measurements()};
  const Overwrite ow = o.force ? Overwrite::allow : Overwrite::refuse;
  if (auto s = write_results(results, data, ow); !s.ok()) return s.error();
  checkpoint->remove();
  CalibrateOutcome outcome;
  outcome.results_path = results;
  outcome.measured = sink.measured();
  outcome.resumed = provenance.resumed_points;
  outcome.wrong = sink.wrong();
  out << fmt::format("#\n# results {} ({} measured, {} resumed)\n# wrong elements: {} {}\n",
                     results, outcome.measured, outcome.resumed, outcome.wrong,
                     outcome.wrong == 0 ? "OK" : "(points with wrong results are not fitted)");
  return fit_and_write(o, data, base, outcome, out);
}

}  // namespace

std::string default_results_path(const std::string& out) {
  const std::filesystem::path p(out);
  return (p.parent_path() / (p.stem().string() + ".results.json")).string();
}

std::string report_path_for(const std::string& out) {
  const std::filesystem::path p(out);
  return (p.parent_path() / (p.stem().string() + ".report.json")).string();
}

Result<CalibrateOutcome> run_calibrate(const CalibrateOptions& options, std::ostream& out) {
  return run_calibrate_on(options, nullptr, out);
}

Result<CalibrateOutcome> run_calibrate_on(const CalibrateOptions& options, GpuBackend* backend,
                                          std::ostream& out) {
  auto r = catch_input_errors([&] { return run(options, backend, out); });
  if (!r.ok()) return r.error();
  Result<CalibrateOutcome> inner = std::move(r).value();
  if (inner.ok() && !options.json.empty()) {
    if (auto s = write_file_atomically(options.json, outcome_json(*inner).dump(1) + "\n",
                                       Overwrite::allow, "--json");
        !s.ok()) {
      return s.error();
    }
  }
  return inner;
}

}  // namespace ptsim
