// The unit a precompiled-header host target compiles (cmake/CairnPch.cmake):
// the header is what it is built for, this file is intentionally empty.
