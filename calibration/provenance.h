// Where a set of measurements came from, recorded with them as nccl-tests records its runs: the
// tool and its arguments, the device, driver, CUDA, cuBLASLt and NCCL versions, clocks, the
// allow-listed environment (NCCL_*, CUDA_*), and the wall-clock date. Wall-clock time appears here
// and nowhere else (STYLE rule 6); fitting never reads it except to cite it.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/json_reader.h"
#include "common/result.h"

namespace ptsim {

struct DeviceDescription {
  std::string name;  // cudaDeviceProp::name, e.g. "NVIDIA H100 80GB HBM3"
  int compute_capability_major = 0;
  int compute_capability_minor = 0;
  int sm_count = 0;
  double memory_bytes = 0;
  double l2_bytes = 0;
  double sm_clock_hz = 0;      // peak SM clock the driver reports (clocks are recorded, never set)
  double memory_clock_hz = 0;  // peak memory clock
  std::string pci_bus_id;
};

struct Provenance {
  std::string tool;                       // "ptsim calibrate 0.1.0"
  std::vector<std::string> command_line;  // argv as given
  std::string date_utc;                   // ISO 8601, "2026-11-24T10:00:00Z"
  std::string host;
  DeviceDescription device;
  int devices_visible = 0;  // GPUs this process sees
  int world_ranks = 1;      // processes (MPI ranks), one GPU each when > 1
  int nodes = 1;
  std::string driver_version;  // "13.0" (cudaDriverGetVersion)
  std::string cuda_runtime_version;
  std::string cublaslt_version;
  std::string nccl_version;                // "2.28.9", or "" when built without NCCL
  std::map<std::string, std::string> env;  // NCCL_* and CUDA_* variables, sorted by name
  Json args = Json::object();              // the settings that shaped the run (plan.h)
  int resumed_points = 0;                  // measurements taken over from a checkpoint
};

Json provenance_to_json(const Provenance& p);
Result<Provenance> provenance_from_json(const Json& j, const std::string& source,
                                        const std::string& pointer);

// NCCL_* and CUDA_* variables of this process's environment, sorted (nccl-tests' allow-list).
std::map<std::string, std::string> allow_listed_environment();
// Current UTC time, ISO 8601 to the second.
std::string utc_now_iso8601();
std::string host_name();

// One line naming device, versions and date: the "calibrated: ..." source text of a profile.
std::string provenance_summary(const Provenance& p);

}  // namespace ptsim
