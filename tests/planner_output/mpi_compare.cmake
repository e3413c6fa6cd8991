# Runs mpi_points_demo alone and under `mpiexec -n 2` and requires byte-identical stdout, and
# stderr proving that two ranks shared the work. Prints "SKIPPED:" (the test's skip pattern) when
# there is no MPI launcher. Open MPI refuses to run as root without its consent flags; they are
# added when the launcher is Open MPI (harmless for a normal user), with --oversubscribe for
# machines with fewer cores than ranks.
# Variables: MPIEXEC, DEMO, WORK_DIR.
if(NOT MPIEXEC OR NOT EXISTS "${MPIEXEC}")
  message("SKIPPED: no MPI launcher (mpiexec/mpirun) found at configure time")
  return()
endif()
file(MAKE_DIRECTORY "${WORK_DIR}")
set(N 37)

execute_process(COMMAND "${DEMO}" ${N} OUTPUT_FILE "${WORK_DIR}/one.out"
                ERROR_FILE "${WORK_DIR}/one.err" RESULT_VARIABLE rc_one TIMEOUT 60)
if(NOT rc_one EQUAL 0)
  message(FATAL_ERROR "single-process run failed (${rc_one})")
endif()

execute_process(COMMAND "${MPIEXEC}" --version OUTPUT_VARIABLE version ERROR_VARIABLE version)
set(flags)
if(version MATCHES "Open MPI|OpenRTE")
  set(ENV{OMPI_ALLOW_RUN_AS_ROOT} 1)
  set(ENV{OMPI_ALLOW_RUN_AS_ROOT_CONFIRM} 1)
  set(flags --allow-run-as-root --oversubscribe)
endif()
execute_process(COMMAND "${MPIEXEC}" ${flags} -n 2 "${DEMO}" ${N}
                OUTPUT_FILE "${WORK_DIR}/two.out" ERROR_FILE "${WORK_DIR}/two.err"
                RESULT_VARIABLE rc_two TIMEOUT 120)
file(READ "${WORK_DIR}/two.err" err_two)
if(NOT rc_two EQUAL 0)
  message(FATAL_ERROR "two-rank run failed (${rc_two}):\n${err_two}")
endif()
foreach(rank 0 1)
  if(NOT err_two MATCHES "rank ${rank} of 2 evaluated")
    message(FATAL_ERROR "rank ${rank} of 2 did not report its share:\n${err_two}")
  endif()
endforeach()

file(READ "${WORK_DIR}/one.out" one)
file(READ "${WORK_DIR}/two.out" two)
string(LENGTH "${one}" bytes)
if(bytes EQUAL 0)
  message(FATAL_ERROR "the single-process run printed nothing")
endif()
if(NOT one STREQUAL two)
  message(FATAL_ERROR "two ranks printed something else than one process:\n--- one\n${one}--- two\n${two}")
endif()
message(STATUS "identical output (${bytes} bytes) from 1 and 2 ranks")
