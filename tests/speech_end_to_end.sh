#!/usr/bin/env bash
# The speech example end to end, small: a tiny model trained for a minute
# on tens of utterances must lower its loss and save a model with which
# `speech recognize` prints transcripts of the right form; bad audio files
# get a one-line error and a non-zero exit, silence an empty transcript.
# Usage: speech_end_to_end.sh SPEECH_BINARY WORK_FOLDER
set -euo pipefail
speech=$1
work=$2
rm -rf "$work"
mkdir -p "$work"
cd "$work"

fail() { echo "FAILED: $*" >&2; exit 1; }

"$speech" --data data --train-utterances 48 --dev-utterances 8 --test-utterances 8 --real-utterances 8 \
  --epochs 6 --batch 8 --hidden 32 --layers 1 --lm-steps 30 --quiet --save tiny.ckpt --curve loss.csv > train.log
tail -n 1 train.log | grep -Eq '^final: wer_synthetic=[0-9.]+ wer_real=[0-9.]+ wer_real_greedy=[0-9.]+ lm_perplexity=[0-9.]+ rtf=[0-9.]+$' \
  || fail "last line of the training run: $(tail -n 1 train.log)"
first=$(sed -n 2p loss.csv | cut -d, -f2)
last=$(tail -n 1 loss.csv | cut -d, -f2)
awk -v a="$first" -v b="$last" 'BEGIN { exit !(b < 0.8 * a) }' || fail "training loss did not fall: $first -> $last"

# Transcripts: lower-case words separated by single spaces, one line per file.
real=$(ls data/real-*/00000.wav)
sox "$real" -r 22050 -c 2 stereo.wav
"$speech" recognize --model tiny.ckpt "$real" stereo.wav > transcripts.txt
[ "$(wc -l < transcripts.txt)" -eq 2 ] || fail "expected two transcript lines, got: $(cat transcripts.txt)"
grep -Evq '^([a-z]+( [a-z]+)*)?$' transcripts.txt && fail "malformed transcript: $(cat transcripts.txt)"

# Silence: an empty transcript, success.
sox -n -r 8000 -c 1 silence.wav trim 0 2
[ "$("$speech" recognize --model tiny.ckpt silence.wav)" = "" ] || fail "silence was transcribed"

# Bad files: one line on stderr naming the file, a non-zero exit, nothing on stdout.
: > empty.wav
echo "not audio at all" > text.wav
head -c 2000 "$real" > truncated.wav
sox -n -r 200 -b 8 -c 1 long.wav synth 3600 sine 50  # one hour, at a rate that keeps the file small
for bad in missing.wav empty.wav text.wav truncated.wav long.wav; do
  if "$speech" recognize --model tiny.ckpt "$bad" > out.txt 2> err.txt; then fail "$bad was accepted"; fi
  [ "$(wc -l < err.txt)" -eq 1 ] || fail "$bad: expected one error line, got: $(cat err.txt)"
  grep -q "^speech: error: .*$bad" err.txt || fail "$bad: error does not name the file: $(cat err.txt)"
  [ ! -s out.txt ] || fail "$bad: printed a transcript"
done
if "$speech" recognize --model missing.ckpt "$real" 2> err.txt; then fail "a missing model was accepted"; fi
[ "$(wc -l < err.txt)" -eq 1 ] || fail "missing model: $(cat err.txt)"
echo "speech end to end: ok"
