print("batchplan")
