# Warnings are errors on project code; outputs must be bit-reproducible, so no fast-math and no
# floating-point contraction (fused multiply-add would change results between machines).
add_library(ptsim_options INTERFACE)
target_compile_options(ptsim_options INTERFACE
  $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Werror -Wno-unused-parameter -ffp-contract=off>)
if(PTSIM_SANITIZE)
  target_compile_options(ptsim_options INTERFACE
    $<$<COMPILE_LANGUAGE:CXX>:-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer>)
  target_link_options(ptsim_options INTERFACE -fsanitize=address,undefined)
endif()
