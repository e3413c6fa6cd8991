# Runs a small whatif study alone and under `mpiexec -n 2` and requires byte-identical stdout
# (the table) and CSV, and stderr showing that both ranks planned points. Prints "SKIPPED:" (the
# test's skip pattern) without an MPI launcher. Open MPI's consent flags for root and
# --oversubscribe are added when the launcher is Open MPI.
# Variables: MPIEXEC, WHATIF, WORK_DIR.
if(NOT MPIEXEC OR NOT EXISTS "${MPIEXEC}")
  message("SKIPPED: no MPI launcher (mpiexec/mpirun) found at configure time")
  return()
endif()
file(MAKE_DIRECTORY "${WORK_DIR}")
set(args --model 8b --gpus 8:32:x2 --gpu h100-sxm,b200 --global-batch 64 --threads 1)

execute_process(COMMAND "${WHATIF}" ${args} --csv "${WORK_DIR}/one.csv"
                OUTPUT_FILE "${WORK_DIR}/one.out" ERROR_FILE "${WORK_DIR}/one.err"
                RESULT_VARIABLE rc_one TIMEOUT 300)
if(NOT rc_one EQUAL 0)
  message(FATAL_ERROR "single-process whatif failed (${rc_one})")
endif()

execute_process(COMMAND "${MPIEXEC}" --version OUTPUT_VARIABLE version ERROR_VARIABLE version)
set(flags)
if(version MATCHES "Open MPI|OpenRTE")
  set(ENV{OMPI_ALLOW_RUN_AS_ROOT} 1)
  set(ENV{OMPI_ALLOW_RUN_AS_ROOT_CONFIRM} 1)
  set(flags --allow-run-as-root --oversubscribe)
endif()
execute_process(COMMAND "${MPIEXEC}" ${flags} -n 2 "${WHATIF}" ${args} --csv "${WORK_DIR}/two.csv"
                OUTPUT_FILE "${WORK_DIR}/two.out" ERROR_FILE "${WORK_DIR}/two.err"
                RESULT_VARIABLE rc_two TIMEOUT 300)
file(READ "${WORK_DIR}/two.err" err_two)
if(NOT rc_two EQUAL 0)
  message(FATAL_ERROR "two-rank whatif failed (${rc_two}):\n${err_two}")
endif()
foreach(rank 0 1)
  if(NOT err_two MATCHES "rank ${rank} of 2 planned [1-9]")
    message(FATAL_ERROR "rank ${rank} of 2 planned no points:\n${err_two}")
  endif()
endforeach()
foreach(kind out csv)
  file(READ "${WORK_DIR}/one.${kind}" one)
  file(READ "${WORK_DIR}/two.${kind}" two)
  string(LENGTH "${one}" bytes)
  if(bytes EQUAL 0)
    message(FATAL_ERROR "the single-process run wrote an empty ${kind}")
  endif()
  if(NOT one STREQUAL two)
    message(FATAL_ERROR "two ranks wrote another ${kind} than one process:\n--- one\n${one}--- two\n${two}")
  endif()
  message(STATUS "identical ${kind} (${bytes} bytes) from 1 and 2 ranks")
endforeach()
